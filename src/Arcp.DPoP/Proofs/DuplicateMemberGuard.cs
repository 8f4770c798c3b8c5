using System.Runtime.CompilerServices;

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
    // Proof headers, payloads and JWKs have a handful of members: those are kept in the struct itself, no allocation.
    private const int ListLimit = 8;

    private readonly IEqualityComparer<string>? _comparer;
    private Names _names;
    private int _count;
    private HashSet<string>? _set;

    /// <summary>A guard comparing names with <paramref name="comparer"/> (tests count its calls); ordinal by default.</summary>
    public DuplicateMemberGuard(IEqualityComparer<string>? comparer)
    {
        _comparer = comparer;
    }

    public bool Add(string name)
    {
        if (_set is not null)
        {
            return _set.Add(name);
        }

        var comparer = _comparer ?? StringComparer.Ordinal;
        for (int i = 0; i < _count; i++)
        {
            if (comparer.Equals(_names[i], name))
            {
                return false;
            }
        }

        if (_count < ListLimit)
        {
            _names[_count++] = name;
            return true;
        }

        _set = new HashSet<string>(comparer);
        foreach (string existing in _names)
        {
            _set.Add(existing);
        }

        _set.Add(name);
        _names = default;
        return true;
    }

    [InlineArray(ListLimit)]
    private struct Names
    {
        private string _element;
    }
}
