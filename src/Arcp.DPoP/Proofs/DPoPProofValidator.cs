using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Validates a DPoP proof JWT against a request (RFC 9449 §4.3): structure, <c>typ</c>, <c>alg</c>, <c>jwk</c>,
/// <c>htm</c>, <c>htu</c>, <c>iat</c>, <c>jti</c>, <c>ath</c> and the signature. It does not check replay or the
/// token binding: the handler does those, and so must any other caller (for example a token endpoint).
/// </summary>
/// <remarks>
/// Every failure is a <see cref="DPoPFailure"/> naming the check in RFC words (<see cref="DPoPFailures"/>); the checks
/// that cost nothing come first and the signature last, so a hostile proof costs little. The validator is thread-safe.
/// <para>
/// A facade over one part per concept: <see cref="CompactJws"/> (the three parts), <see cref="ProofHeaderReader"/>
/// (JOSE header policy), <see cref="ProofJwkPolicy"/> (the key), <see cref="ProofPayloadReader"/> and
/// <see cref="ProofClaimChecks"/> (the claims against the request), <see cref="ProofSignature"/> and
/// <see cref="ProofKeyImport"/> (the signature), <see cref="ProofReplayKey"/> (what the replay cache records).
/// </para>
/// </remarks>
public sealed class DPoPProofValidator
{
    /// <summary>The longest <c>jti</c> accepted: a 128-bit random value needs 22 base64url characters.</summary>
    public const int MaxJtiLength = 256;

    private readonly ProofPolicy _policy;
    private readonly ProofHeaderCache _headers = new();

    /// <summary>Creates a validator with the proof settings of <paramref name="options"/>.</summary>
    /// <param name="options">The options: <see cref="DPoPOptions.AllowedAlgorithms"/>, <see cref="DPoPOptions.ProofLifetime"/>,
    /// <see cref="DPoPOptions.ClockSkew"/>, <see cref="DPoPOptions.MaxProofLength"/>, <see cref="DPoPOptions.MaxRsaKeySize"/>,
    /// <see cref="DPoPOptions.PublicOrigin"/> and the time provider.</param>
    public DPoPProofValidator(DPoPOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _policy = new ProofPolicy(options);
    }

    /// <summary>The normalised <see cref="DPoPOptions.PublicOrigin"/> without a trailing slash, if one is set.</summary>
    internal string? PublicOrigin => _policy.PublicOrigin;

    /// <summary>How many checked proof headers (with their imported keys) are cached.</summary>
    internal int CachedHeaderCount => _headers.Count;

    /// <summary>The estimated memory held by the cached proof headers.</summary>
    internal long CachedHeaderBytes => _headers.Bytes;

    /// <summary>The allowed algorithms, space-separated, as the <c>algs</c> challenge parameter lists them.</summary>
    public string AllowedAlgorithms => _policy.AllowedList;

    /// <summary>Validates a proof completely, signature included.</summary>
    /// <param name="proof">The <c>DPoP</c> header value.</param>
    /// <param name="httpMethod">The request method, compared case-sensitively with <c>htm</c>.</param>
    /// <param name="httpUri">The request URI; compared with <c>htu</c> without query and fragment after RFC 3986 normalisation.</param>
    /// <param name="accessToken">The access token presented with the proof, if any: then <c>ath</c> is required and checked.</param>
    /// <returns>The validated proof, or the first check that failed; a bad proof never throws.</returns>
    /// <exception cref="ArgumentException"><paramref name="httpUri"/> is not an absolute http(s) URI (a caller error, not a client's).</exception>
    public DPoPProofValidationResult Validate(string proof, string httpMethod, string httpUri, string? accessToken = null)
    {
        ArgumentNullException.ThrowIfNull(httpMethod);
        ArgumentNullException.ThrowIfNull(httpUri);
        if (!HtuNormalizer.TryNormalize(httpUri, out string expectedHtu, out string? uriError))
        {
            throw new ArgumentException($"The request URI cannot be normalised: {uriError}.", nameof(httpUri));
        }

        return ValidateCore(proof, httpMethod, expectedHtu, accessToken);
    }

    /// <summary>
    /// Validates a proof completely, signature included, against an ASP.NET Core request: its method, and its URI as
    /// the DPoP handler sees it (<see cref="DPoPOptions.PublicOrigin"/> when set, otherwise the request's scheme, host
    /// and port, then path base and path). Use it where a proof comes without the handler, e.g. at a token endpoint.
    /// </summary>
    /// <param name="proof">The <c>DPoP</c> header value.</param>
    /// <param name="request">The request the proof was sent with.</param>
    /// <param name="accessToken">The access token presented with the proof (then <c>ath</c> is required and checked), or <see langword="null"/> (a token request).</param>
    /// <returns>The validated proof, or the first check that failed; a bad proof never throws.</returns>
    public DPoPProofValidationResult Validate(string proof, HttpRequest request, string? accessToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var htu = RequestHtu(request);
        return htu.Value is { } expectedHtu
            ? ValidateCore(proof, request.Method, expectedHtu, accessToken)
            : DPoPProofValidationResult.Fail(htu.Failure!);
    }

    private DPoPProofValidationResult ValidateCore(string proof, string httpMethod, string expectedHtu, string? accessToken)
    {
        var parsed = Parse(proof, httpMethod, expectedHtu, accessToken?.AsMemory());
        if (parsed.Value is not { } checkedProof)
        {
            return DPoPProofValidationResult.Fail(parsed.Failure!);
        }

        if (VerifySignature(checkedProof) is { } failure)
        {
            return DPoPProofValidationResult.Fail(failure);
        }

        Remember(checkedProof);
        return DPoPProofValidationResult.Success(checkedProof.ToProof());
    }

    /// <summary>The request URI a proof's <c>htu</c> must match, normalised (RFC 9449 §4.3 item 9); a failure for an unusable Host header.</summary>
    internal DPoPResult<string> RequestHtu(HttpRequest request) => ExpectedHtu.For(request, _policy.PublicOrigin);

    /// <summary>The proof's key and claims checks (step 3), which cost no public-key operation.</summary>
    /// <param name="proof">The <c>DPoP</c> header value.</param>
    /// <param name="httpMethod">The request method.</param>
    /// <param name="expectedHtu">The request URI already normalised by <see cref="HtuNormalizer"/>.</param>
    /// <param name="accessToken">The access token, if any.</param>
    internal DPoPResult<ParsedProof> Parse(string? proof, string httpMethod, ReadOnlySpan<char> expectedHtu, ReadOnlyMemory<char>? accessToken)
    {
        if (string.IsNullOrEmpty(proof))
        {
            return DPoPFailures.ProofMissing;
        }

        int maxLength = _policy.Options.MaxProofLength;
        if (proof.Length > maxLength)
        {
            return DPoPFailures.ProofTooLarge(proof.Length, maxLength);
        }

        // RFC 9449 §4.3 items 2-3: a JWT in JWS compact serialisation.
        var split = CompactJws.Split(proof);
        if (split.Failure is { } splitFailure)
        {
            return splitFailure;
        }

        var jws = split.Value;
        ReadOnlySpan<char> headerPart = jws.Header(proof);
        ReadOnlySpan<char> payloadPart = jws.Payload(proof);
        if (!Base64UrlStrict.IsValid(headerPart))
        {
            return DPoPFailures.HeaderNotBase64Url;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Base64UrlStrict.MaxDecodedLength(Math.Max(headerPart.Length, payloadPart.Length)));
        try
        {
            // A header already accepted with a verified proof is reused; any other is checked here and cached only
            // once a proof carrying it has verified (Remember), so unauthenticated callers cannot fill the cache.
            var parsed = new ParsedProof(proof, jws.SecondDot)
            {
                PayloadStart = jws.FirstDot + 1,
                HeaderKey = ProofHeaderCache.HeaderHash.Of(headerPart),
                HeaderLength = headerPart.Length,
            };
            if (_headers.TryGet(parsed.HeaderKey, out var header))
            {
                parsed.HeaderCached = true;
            }
            else
            {
                header = new ProofHeader();
                if (!Base64UrlStrict.TryDecode(headerPart, buffer, out int headerLength))
                {
                    return DPoPFailures.HeaderNotBase64Url;
                }

                if (ProofHeaderReader.Read(buffer.AsSpan(0, headerLength), header, _policy) is { } headerFailure)
                {
                    return headerFailure;
                }
            }

            parsed.Header = header;
            if (!Base64UrlStrict.TryDecode(payloadPart, buffer, out int payloadLength))
            {
                return DPoPFailures.PayloadNotBase64Url;
            }

            var payload = buffer.AsSpan(0, payloadLength);
            var failure = ProofPayloadReader.Read(payload, parsed)
                ?? ProofClaimChecks.Check(parsed, payload, httpMethod, expectedHtu, accessToken, _policy);
            return failure ?? DPoPResult<ParsedProof>.Ok(parsed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Step 7: the signature verifies with the proof's own <c>jwk</c> (RFC 9449 §4.3 item 6).</summary>
    internal static DPoPFailure? VerifySignature(ParsedProof parsed) => ProofSignature.Verify(parsed);

    /// <summary>
    /// Keeps the header of a proof that verified (RFC 9449 §4.3 item 6) and was accepted, with its imported key, so the
    /// next proof with the same header skips parsing and key import. Only callers that checked the signature call it.
    /// </summary>
    internal void Remember(ParsedProof parsed)
    {
        if (!parsed.HeaderCached && parsed.Header is { } header)
        {
            if (!_headers.Add(parsed.HeaderKey, parsed.HeaderLength, header))
            {
                header.Keys.Evict(); // not kept: its imported key goes now, not with the garbage collector
            }

            parsed.HeaderCached = true;
        }
    }

    /// <summary>Step 8: the replay cache's key for a proof (<see cref="ProofReplayKey"/>).</summary>
    internal static string ReplayKey(string jkt, string jti) => ProofReplayKey.Of(jkt, jti);
}
