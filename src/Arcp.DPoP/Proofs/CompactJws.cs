namespace Arcp.DPoP;

/// <summary>
/// Where the three parts of a JWS in compact serialisation (RFC 7515 §7.1) are in a proof's text: RFC 9449 §4.3
/// items 2-3. Only the positions; nothing is decoded or copied.
/// </summary>
internal readonly struct CompactJws
{
    private CompactJws(int firstDot, int secondDot)
    {
        FirstDot = firstDot;
        SecondDot = secondDot;
    }

    /// <summary>The '.' after the header.</summary>
    public int FirstDot { get; }

    /// <summary>The '.' after the payload; the signature starts after it.</summary>
    public int SecondDot { get; }

    /// <summary>Three non-empty parts separated by '.', the signature strict base64url.</summary>
    public static DPoPResult<CompactJws> Split(string proof)
    {
        int firstDot = proof.IndexOf('.', StringComparison.Ordinal);
        int secondDot = firstDot < 0 ? -1 : proof.IndexOf('.', firstDot + 1);
        if (firstDot <= 0 || secondDot < 0 || secondDot == firstDot + 1 || secondDot == proof.Length - 1 || proof.IndexOf('.', secondDot + 1) >= 0)
        {
            return DPoPFailures.NotCompactJws;
        }

        if (!Base64UrlStrict.IsValid(proof.AsSpan(secondDot + 1)))
        {
            return DPoPFailures.SignatureNotBase64Url;
        }

        return DPoPResult<CompactJws>.Ok(new(firstDot, secondDot));
    }

    public ReadOnlySpan<char> Header(string proof) => proof.AsSpan(0, FirstDot);

    public ReadOnlySpan<char> Payload(string proof) => proof.AsSpan(FirstDot + 1, SecondDot - FirstDot - 1);
}
