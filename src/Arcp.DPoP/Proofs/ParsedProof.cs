namespace Arcp.DPoP;

/// <summary>
/// A proof whose structure and claims passed, before its signature is verified.
/// </summary>
internal sealed class ParsedProof
{
    private string? _jkt;

    public ParsedProof(string raw, int secondDot)
    {
        Raw = raw;
        SignatureStart = secondDot + 1;
    }

    public string Raw { get; }

    public int SignatureStart { get; }

    public string? Typ { get; set; }

    public string? Alg { get; set; }

    public DPoPAlgorithm? Algorithm { get; set; }

    public ProofJwk? Jwk { get; set; }

    public string? Jti { get; set; }

    public string? Htm { get; set; }

    public string? Htu { get; set; }

    public string? Ath { get; set; }

    public string? Nonce { get; set; }

    public bool HasIat { get; set; }

    public bool IatIsNumber { get; set; }

    public double Iat { get; set; }

    public DateTimeOffset IssuedAt { get; set; }

    /// <summary>Whether the proof's nonce is valid but old enough that the response should carry the next one.</summary>
    public bool RenewNonce { get; set; }

    /// <summary>The first claim that should be a string but is not.</summary>
    public string? NonStringClaim { get; set; }

    /// <summary>The RFC 7638 thumbprint of the proof's jwk.</summary>
    public string Jkt => _jkt ??= Jwk!.Kty == "EC"
        ? JwkThumbprint.Compute("EC", crv: Jwk.Crv, x: Jwk.X, y: Jwk.Y)
        : JwkThumbprint.Compute("RSA", e: Jwk.E, n: Jwk.N);

    public DPoPProof ToProof() =>
        new(Algorithm!.Name, Jwk!.Kty!, Jkt, Jti!, Htm!, Htu!, IssuedAt, Ath, Nonce);
}
