namespace Arcp.DPoP;

/// <summary>
/// A DPoP proof that passed validation (RFC 9449 §4.2): its key's thumbprint and its claims.
/// </summary>
public sealed class DPoPProof
{
    internal DPoPProof(string algorithm, string keyType, string jkt, string jti, string htm, string htu, DateTimeOffset issuedAt, string? ath, string? nonce)
    {
        Algorithm = algorithm;
        KeyType = keyType;
        Jkt = jkt;
        Jti = jti;
        Htm = htm;
        Htu = htu;
        IssuedAt = issuedAt;
        Ath = ath;
        Nonce = nonce;
    }

    /// <summary>The JWS <c>alg</c> the proof is signed with, e.g. <c>ES256</c> or <c>EdDSA</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The <c>kty</c> of the proof's <c>jwk</c>: <c>EC</c>, <c>RSA</c> or <c>OKP</c> (Ed25519).</summary>
    public string KeyType { get; }

    /// <summary>The RFC 7638 SHA-256 thumbprint of the proof's <c>jwk</c>, base64url.</summary>
    public string Jkt { get; }

    /// <summary>The proof's unique identifier, <c>jti</c>.</summary>
    public string Jti { get; }

    /// <summary>The HTTP method the proof was made for, <c>htm</c>.</summary>
    public string Htm { get; }

    /// <summary>The HTTP URI the proof was made for, <c>htu</c>, as the client sent it.</summary>
    public string Htu { get; }

    /// <summary>When the proof was made, <c>iat</c>.</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>The access token hash, <c>ath</c>, when present.</summary>
    public string? Ath { get; }

    /// <summary>The server-provided nonce, <c>nonce</c>, when present.</summary>
    public string? Nonce { get; }
}
