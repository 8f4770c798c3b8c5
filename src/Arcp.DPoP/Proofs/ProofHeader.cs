namespace Arcp.DPoP;

/// <summary>A proof's JOSE header (RFC 9449 §4.2): read member by member, then checked, then cached.</summary>
internal sealed class ProofHeader
{
    private string? _jkt;
    private NSec.Cryptography.PublicKey? _ed25519Key;

    public string? Typ { get; set; }

    public string? Alg { get; set; }

    public ProofJwk? Jwk { get; set; }

    /// <summary>The allowed algorithm <see cref="Alg"/> names, once the checks passed.</summary>
    public DPoPAlgorithm? Algorithm { get; set; }

    /// <summary>The RFC 7638 thumbprint of the jwk (RFC 8037 §2 for OKP keys: crv, kty, x).</summary>
    public string Jkt => _jkt ??= Jwk!.Kty switch
    {
        "EC" => JwkThumbprint.Compute("EC", crv: Jwk.Crv, x: Jwk.X, y: Jwk.Y),
        "OKP" => JwkThumbprint.Compute("OKP", crv: Jwk.Crv, x: Jwk.X),
        _ => JwkThumbprint.Compute("RSA", e: Jwk.E, n: Jwk.N),
    };

    /// <summary>The imported Ed25519 public key of a checked OKP jwk: immutable, so one instance is shared by all threads.</summary>
    public NSec.Cryptography.PublicKey? Ed25519Key => _ed25519Key ??= Ed25519Verifier.Import(Jwk!.X!);

    /// <summary>The imported public keys of this header's jwk.</summary>
    public ProofHeaderCache.KeyPool Keys { get; } = new();
}
