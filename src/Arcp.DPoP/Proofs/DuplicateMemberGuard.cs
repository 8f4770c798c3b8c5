namespace Arcp.DPoP;

/// <summary>
/// Remembers the member names of one JSON object so a duplicate can be refused (RFC 7515 §5.2 and RFC 8725 §3.1:
/// a parser that keeps the last duplicate lets two readers see two different proofs).
/// </summary>
internal struct DuplicateMemberGuard
{
    private List<string>? _names;
    private readonly IEqualityComparer<string> _comparer;

    public DuplicateMemberGuard(IEqualityComparer<string> comparer)
    {
        _names = null;
        _comparer = comparer;
    }

    public bool Add(string name)
    {
        _names ??= new List<string>(8);
        foreach (string existing in _names)
        {
            if ((_comparer ?? StringComparer.Ordinal).Equals(existing, name))
            {
                return false;
            }
        }

        _names.Add(name);
        return true;
    }
}
