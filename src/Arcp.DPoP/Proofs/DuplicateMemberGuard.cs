namespace Arcp.DPoP;

/// <summary>
/// Remembers the member names of one JSON object so a duplicate can be refused (RFC 7515 §5.2 and RFC 8725 §3.1:
/// a parser that keeps the last duplicate lets two readers see two different proofs).
/// </summary>
internal struct DuplicateMemberGuard
{
    private List<string>? _names;

    public bool Add(string name)
    {
        _names ??= new List<string>(8);
        foreach (string existing in _names)
        {
            if (string.Equals(existing, name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        _names.Add(name);
        return true;
    }
}
