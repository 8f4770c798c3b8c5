namespace Arcp.DPoP;

/// <summary>
/// Remembers the member names of one JSON object so a duplicate can be refused (RFC 7515 §5.2 and RFC 8725 §3.1:
/// a parser that keeps the last duplicate lets two readers see two different proofs).
/// </summary>
/// <remarks>
/// Linear in the number of members: a few names are compared directly, more go into a hash set, so an object with
/// thousands of members (as many as <see cref="DPoPOptions.MaxProofLength"/> allows) costs no more than reading it.
/// </remarks>
internal struct DuplicateMemberGuard
{
    // Proof headers, payloads and JWKs have a handful of members: those never allocate a set.
    private const int ListLimit = 8;

    private readonly IEqualityComparer<string>? _comparer;
    private List<string>? _names;
    private HashSet<string>? _set;

    /// <summary>A guard comparing names with <paramref name="comparer"/> (tests count its calls); ordinal by default.</summary>
    public DuplicateMemberGuard(IEqualityComparer<string>? comparer)
    {
        _comparer = comparer;
        _names = null;
        _set = null;
    }

    public bool Add(string name)
    {
        if (_set is not null)
        {
            return _set.Add(name);
        }

        var comparer = _comparer ?? StringComparer.Ordinal;
        _names ??= new List<string>(ListLimit);
        foreach (string existing in _names)
        {
            if (comparer.Equals(existing, name))
            {
                return false;
            }
        }

        if (_names.Count < ListLimit)
        {
            _names.Add(name);
            return true;
        }

        _set = new HashSet<string>(_names, comparer) { name };
        _names = null;
        return true;
    }
}
