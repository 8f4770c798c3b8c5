namespace Arcp.DPoP;

/// <summary>
/// A proof whose structure and claims passed, before its signature is verified.
/// </summary>
internal sealed class ParsedProof
{
    public ParsedProof(string raw, int secondDot)
    {
        Raw = raw;
        SignatureStart = secondDot + 1;
    }

    public string Raw { get; }

    public int SignatureStart { get; }

    /// <summary>The checked header, shared by every proof with the same header text.</summary>
    public ProofHeader? Header { get; set; }

    /// <summary>SHA-256 of the header's text: its key in the header cache.</summary>
    public ProofHeaderCache.HeaderHash HeaderKey { get; set; }

    /// <summary>The length of the header's base64url text.</summary>
    public int HeaderLength { get; set; }

    /// <summary>Whether <see cref="Header"/> is in the header cache (it came from there, or was added after verifying).</summary>
    public bool HeaderCached { get; set; }

    public DPoPAlgorithm? Algorithm => Header?.Algorithm;

    public ProofJwk? Jwk => Header?.Jwk;

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
    public string Jkt => Header!.Jkt;

    public DPoPProof ToProof() =>
        new(Algorithm!.Name, Jwk!.Kty!, Jkt, Jti!, Htm!, Htu!, IssuedAt, Ath, Nonce);
}
