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

    // The string claims: read as places in the decoded payload and compared there; made into strings only when read
    // after the checks (an event's DPoPProof, a failure's detail), from Raw (issue 14).
    public ProofClaimText JtiText;
    public ProofClaimText HtmText;
    public ProofClaimText HtuText;
    public ProofClaimText AthText;

    /// <summary>Where the payload's base64url text starts in <see cref="Raw"/>.</summary>
    public int PayloadStart { get; init; }

    public string? Jti => Materialize(ref JtiText);

    public string? Htm => Materialize(ref HtmText);

    public string? Htu => Materialize(ref HtuText);

    public string? Ath => Materialize(ref AthText);

    /// <summary>SHA-256 of <c>jkt "." jti</c>, set by the claim checks: the replay key's bytes (<see cref="ProofReplayKey"/>).</summary>
    public ProofReplayKey.Hash? ReplayHash { get; set; }

    /// <summary>The digest under which this proof's first use is recorded: the claim checks' or, without them, made now.</summary>
    public ProofReplayKey.Hash ReplayDigest => ReplayHash ?? ProofReplayKey.HashOf(Jkt, Jti!);

    /// <summary>The same key as text, for stores that take a string.</summary>
    public string ReplayKey => ReplayDigest.ToKey();

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

    // The payload is decoded again: only when a string claim is read after the checks, which kept no decoded copy.
    private string? Materialize(ref ProofClaimText text)
    {
        if (text.Text is not null || !text.Present)
        {
            return text.Text;
        }

        var part = Raw.AsSpan(PayloadStart, SignatureStart - 1 - PayloadStart);
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Base64UrlStrict.MaxDecodedLength(part.Length));
        try
        {
            return Base64UrlStrict.TryDecode(part, buffer, out int length) ? text.Materialize(buffer.AsSpan(0, length)) : null;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public DPoPProof ToProof() =>
        new(Algorithm!.Name, Jwk!.Kty!, Jkt, Jti!, Htm!, Htu!, IssuedAt, Ath, Nonce);
}
