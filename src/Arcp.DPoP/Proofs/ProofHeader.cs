namespace Arcp.DPoP;

/// <summary>A proof's JOSE header (RFC 9449 §4.2): read member by member, then checked, then cached.</summary>
internal sealed class ProofHeader
{
    private string? _jkt;

    public string? Typ { get; set; }

    public string? Alg { get; set; }

    public ProofJwk? Jwk { get; set; }

    /// <summary>The allowed algorithm <see cref="Alg"/> names, once the checks passed.</summary>
    public DPoPAlgorithm? Algorithm { get; set; }

    /// <summary>The RFC 7638 thumbprint of the jwk.</summary>
    public string Jkt => _jkt ??= Jwk!.Kty == "EC"
        ? JwkThumbprint.Compute("EC", crv: Jwk.Crv, x: Jwk.X, y: Jwk.Y)
        : JwkThumbprint.Compute("RSA", e: Jwk.E, n: Jwk.N);

    /// <summary>The imported public keys of this header's jwk.</summary>
    public ProofHeaderCache.KeyPool Keys { get; } = new();
}
