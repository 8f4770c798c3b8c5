using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Validates a DPoP proof JWT against a request (RFC 9449 §4.3): structure, <c>typ</c>, <c>alg</c>, <c>jwk</c>,
/// <c>htm</c>, <c>htu</c>, <c>iat</c>, <c>jti</c>, <c>ath</c> and the signature. It does not check replay or the
/// token binding: the handler does those, and so must any other caller (for example a token endpoint).
/// </summary>
/// <remarks>
/// Every failure is a <see cref="DPoPFailure"/> naming the check in RFC words; the checks that cost nothing come
/// first and the signature last, so a hostile proof costs little. The validator is thread-safe.
/// </remarks>
public sealed class DPoPProofValidator
{
    /// <summary>The longest <c>jti</c> accepted: a 128-bit random value needs 22 base64url characters.</summary>
    public const int MaxJtiLength = 256;

    // RSA key policy: at least 2048 bits (RFC 8725 §3.5 via NIST SP 800-131A); at most DPoPOptions.MaxRsaKeySize
    // (4096 by default, never above 8192): a bigger key only makes verification slower, and no DPoP client needs one.
    // The public exponent is odd and from 3 to 65537, so verification stays cheap: its cost grows with the exponent's bits.
    private const int MaxRsaModulusBits = 8192;
    private const int MinRsaModulusBits = 2048;
    private const long MaxRsaExponent = 65537;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    private readonly DPoPOptions _options;
    private readonly DPoPAlgorithm[] _allowed;
    private readonly string _allowedList;
    private readonly string? _publicOrigin;
    private readonly ProofHeaderCache _headers = new();
    private readonly int _maxRsaModulusBits;

    /// <summary>Creates a validator with the proof settings of <paramref name="options"/>.</summary>
    /// <param name="options">The options: <see cref="DPoPOptions.AllowedAlgorithms"/>, <see cref="DPoPOptions.ProofLifetime"/>,
    /// <see cref="DPoPOptions.ClockSkew"/>, <see cref="DPoPOptions.MaxProofLength"/>, <see cref="DPoPOptions.MaxRsaKeySize"/>,
    /// <see cref="DPoPOptions.PublicOrigin"/> and the time provider.</param>
    public DPoPProofValidator(DPoPOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var allowed = new List<DPoPAlgorithm>();
        foreach (string name in options.AllowedAlgorithms)
        {
            var algorithm = DPoPAlgorithm.Find(name)
                ?? throw new ArgumentException($"'{name}' is not a supported DPoP proof algorithm.", nameof(options));
            allowed.Add(algorithm);
        }

        _allowed = [.. allowed];
        _maxRsaModulusBits = Math.Clamp(options.MaxRsaKeySize, MinRsaModulusBits, MaxRsaModulusBits);
        _allowedList = string.Join(' ', options.AllowedAlgorithms);
        if (!string.IsNullOrEmpty(options.PublicOrigin) && HtuNormalizer.TryNormalize(options.PublicOrigin, out string origin, out _))
        {
            _publicOrigin = origin.TrimEnd('/');
        }
    }

    /// <summary>The normalised <see cref="DPoPOptions.PublicOrigin"/> without a trailing slash, if one is set.</summary>
    internal string? PublicOrigin => _publicOrigin;

    /// <summary>How many checked proof headers (with their imported keys) are cached.</summary>
    internal int CachedHeaderCount => _headers.Count;

    /// <summary>The estimated memory held by the cached proof headers.</summary>
    internal long CachedHeaderBytes => _headers.Bytes;

    /// <summary>The allowed algorithms, space-separated, as the <c>algs</c> challenge parameter lists them.</summary>
    public string AllowedAlgorithms => _allowedList;

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

        return Validate(proof, httpMethod, expectedHtu, accessToken, out _);
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
        if (!TryGetRequestHtu(request, out string expectedHtu, out var failure))
        {
            return DPoPProofValidationResult.Fail(failure!);
        }

        return Validate(proof, request.Method, expectedHtu, accessToken, out _);
    }

    private DPoPProofValidationResult Validate(string proof, string httpMethod, string expectedHtu, string? accessToken, out DPoPFailure? failure)
    {
        var parsed = Parse(proof, httpMethod, expectedHtu, accessToken?.AsMemory(), out failure);
        if (parsed is not null)
        {
            failure = VerifySignature(parsed);
            if (failure is null)
            {
                Remember(parsed);
            }
        }

        return failure is null ? DPoPProofValidationResult.Success(parsed!.ToProof()) : DPoPProofValidationResult.Fail(failure);
    }

    /// <summary>The request URI a proof's <c>htu</c> must match, normalised (RFC 9449 §4.3 item 9).</summary>
    /// <param name="request">The request.</param>
    /// <param name="htu">The normalised URI, without query and fragment.</param>
    /// <param name="failure">Why it cannot be built (an unusable Host header).</param>
    internal bool TryGetRequestHtu(HttpRequest request, out string htu, out DPoPFailure? failure)
    {
        failure = null;
        string path = RequestPath(request);
        string uri = _publicOrigin is { } origin
            ? origin + path
            : request.Scheme + "://" + request.Host.ToUriComponent() + path;
        if (HtuNormalizer.TryNormalize(uri, out htu, out string? error))
        {
            return true;
        }

        failure = new(DPoPFailureCode.HtuMismatch, $"The request URI cannot be compared with htu: {error}.");
        return false;
    }

    /// <summary>
    /// The request's path as the client sent it (percent-encoding intact), so <see cref="HtuNormalizer"/> decodes it once:
    /// <see cref="HttpRequest.Path"/> is already decoded, and encoding it again cannot tell <c>/files/%2572</c> (the
    /// resource named <c>%72</c>) from <c>/files/r</c>. The raw target includes the path base; without one (a
    /// request made in process, or an asterisk or absolute form) the decoded path base and path are used.
    /// </summary>
    internal static string RequestPath(HttpRequest request)
    {
        string? raw = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw) && raw[0] == '/')
        {
            int end = raw.AsSpan().IndexOfAny('?', '#');
            string rawPath = end < 0 ? raw : raw[..end];

            // The raw target must still be this request: a middleware that rewrote Path (UsePathBase keeps the whole,
            // UseRewriter does not) makes the decoded form authoritative.
            if (string.Equals(Uri.UnescapeDataString(rawPath), request.PathBase.Add(request.Path).Value, StringComparison.Ordinal) ||
                string.Equals(DecodeLikeServer(rawPath), request.PathBase.Add(request.Path).Value, StringComparison.Ordinal))
            {
                return rawPath;
            }
        }

        return request.PathBase.Add(request.Path).ToUriComponent();
    }

    // Kestrel decodes every percent-encoding except %2F in the path.
    private static string DecodeLikeServer(string rawPath) =>
        Uri.UnescapeDataString(rawPath.Replace("%2F", "%252F", StringComparison.Ordinal).Replace("%2f", "%252f", StringComparison.Ordinal));

    /// <summary>The proof's key and claims checks, which cost no public-key operation.</summary>
    /// <param name="proof">The <c>DPoP</c> header value.</param>
    /// <param name="httpMethod">The request method.</param>
    /// <param name="expectedHtu">The request URI already normalised by <see cref="HtuNormalizer"/>.</param>
    /// <param name="accessToken">The access token, if any.</param>
    /// <param name="failure">The first failed check.</param>
    internal ParsedProof? Parse(string? proof, string httpMethod, string expectedHtu, ReadOnlyMemory<char>? accessToken, out DPoPFailure? failure)
    {
        failure = null;
        if (string.IsNullOrEmpty(proof))
        {
            failure = new(DPoPFailureCode.ProofMissing, "The request has no DPoP header; sign a DPoP proof for this request with the key the access token is bound to and send it in the DPoP header.");
            return null;
        }

        if (proof.Length > _options.MaxProofLength)
        {
            failure = new(DPoPFailureCode.ProofTooLarge, Invariant($"The DPoP header is {proof.Length} characters; the limit is {_options.MaxProofLength}."));
            return null;
        }

        // RFC 9449 §4.3 items 2-3: a JWT in JWS compact serialisation.
        int firstDot = proof.IndexOf('.', StringComparison.Ordinal);
        int secondDot = firstDot < 0 ? -1 : proof.IndexOf('.', firstDot + 1);
        if (firstDot <= 0 || secondDot < 0 || secondDot == firstDot + 1 || secondDot == proof.Length - 1 || proof.IndexOf('.', secondDot + 1) >= 0)
        {
            failure = Malformed("The DPoP proof is not a JWS in compact serialisation (three non-empty base64url parts separated by '.').");
            return null;
        }

        ReadOnlySpan<char> headerPart = proof.AsSpan(0, firstDot);
        ReadOnlySpan<char> payloadPart = proof.AsSpan(firstDot + 1, secondDot - firstDot - 1);
        if (!Base64UrlStrict.IsValid(proof.AsSpan(secondDot + 1)))
        {
            failure = Malformed("The DPoP proof's signature is not valid base64url.");
            return null;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Base64UrlStrict.MaxDecodedLength(Math.Max(headerPart.Length, payloadPart.Length)));
        try
        {
            var parsed = new ParsedProof(proof, secondDot);
            if (!Base64UrlStrict.IsValid(headerPart))
            {
                failure = Malformed("The DPoP proof's JOSE header is not valid base64url.");
                return null;
            }

            // A header already accepted with a verified proof is reused; any other is checked here and cached only
            // once a proof carrying it has verified (Remember), so unauthenticated callers cannot fill the cache.
            parsed.HeaderKey = ProofHeaderCache.HeaderHash.Of(headerPart);
            parsed.HeaderLength = headerPart.Length;
            if (_headers.TryGet(parsed.HeaderKey, out var header))
            {
                parsed.HeaderCached = true;
            }
            else
            {
                if (!Base64UrlStrict.TryDecode(headerPart, buffer, out int headerLength))
                {
                    failure = Malformed("The DPoP proof's JOSE header is not valid base64url.");
                    return null;
                }

                header = new ProofHeader();
                if (!TryReadHeader(buffer.AsSpan(0, headerLength), header, out failure))
                {
                    return null;
                }
            }

            parsed.Header = header;

            if (!Base64UrlStrict.TryDecode(payloadPart, buffer, out int payloadLength))
            {
                failure = Malformed("The DPoP proof's payload is not valid base64url.");
                return null;
            }

            if (!TryReadPayload(buffer.AsSpan(0, payloadLength), parsed, out failure))
            {
                return null;
            }

            failure = CheckClaims(parsed, httpMethod, expectedHtu, accessToken);
            return failure is null ? parsed : null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool TryReadHeader(ReadOnlySpan<byte> json, ProofHeader parsed, out DPoPFailure? failure)
    {
        if (!TryReadObject(json, "JOSE header", parsed, ReadHeaderMember,
            static name => Malformed($"The DPoP proof's JOSE header has the member '{name}' twice."), out failure))
        {
            return false;
        }

        string? typ = parsed.Typ;
        string? alg = parsed.Alg;
        var jwk = parsed.Jwk;

        // RFC 9449 §4.3 item 4.
        if (typ is null || !IsDPoPType(typ))
        {
            failure = new(DPoPFailureCode.ProofTypeInvalid, typ is null
                ? "The DPoP proof has no 'typ' header; it must be 'dpop+jwt'."
                : $"The DPoP proof's typ is '{QuotedValue.ForDetail(typ)}'; it must be 'dpop+jwt'.");
            return false;
        }

        // RFC 9449 §4.3 item 5 and RFC 8725 §3.1: an allow-listed asymmetric algorithm, never 'none' or a MAC.
        if (string.IsNullOrEmpty(alg))
        {
            failure = new(DPoPFailureCode.ProofAlgorithmNotAllowed, $"The DPoP proof has no 'alg' header; use one of: {_allowedList}.");
            return false;
        }

        var algorithm = FindAllowed(alg);
        if (algorithm is null)
        {
            string why = alg.Equals("none", StringComparison.OrdinalIgnoreCase) ? "an unsigned proof proves nothing"
                : alg.StartsWith("HS", StringComparison.OrdinalIgnoreCase) ? "a symmetric (MAC) algorithm cannot prove possession of a public key"
                : "it is not on this API's allow-list";
            failure = new(DPoPFailureCode.ProofAlgorithmNotAllowed, $"The DPoP proof's alg '{QuotedValue.ForDetail(alg)}' is not allowed: {why}. Use one of: {_allowedList}.");
            return false;
        }

        // RFC 9449 §4.3 item 7.
        if (jwk is null)
        {
            failure = new(DPoPFailureCode.ProofKeyInvalid, "The DPoP proof has no 'jwk' header; it must carry the public key that signed it.");
            return false;
        }

        failure = CheckKey(jwk, algorithm, _maxRsaModulusBits);
        if (failure is not null)
        {
            return false;
        }

        parsed.Algorithm = algorithm;
        return true;
    }

    private static DPoPFailure? ReadHeaderMember(ref Utf8JsonReader reader, string name, ProofHeader parsed)
    {
        switch (name)
        {
            case "typ":
                parsed.Typ = ReadHeaderString(ref reader);
                return null;
            case "alg":
                parsed.Alg = ReadHeaderString(ref reader);
                return null;
            case "jwk":
                parsed.Jwk = ProofJwk.Read(ref reader, out var jwkFailure);
                return jwkFailure;
            case "crit":
                // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand; we understand none.
                return Malformed("The DPoP proof's JOSE header has 'crit'; this server supports no critical header extensions.");
            default:
                reader.Skip();
                return null;
        }
    }

    // A member of the wrong type reads as empty, which no check accepts.
    private static string ReadHeaderString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString()!;
        }

        reader.Skip();
        return string.Empty;
    }

    /// <summary>
    /// Reads a header or payload: a JSON object and nothing after it, read member by member by
    /// <see cref="JsonMembers"/>; malformed JSON and excessive nesting are failures, never exceptions.
    /// </summary>
    private static bool TryReadObject<TState>(ReadOnlySpan<byte> json, string part, TState parsed, JsonMembers.MemberReader<TState> readMember, Func<string, DPoPFailure> duplicate, out DPoPFailure? failure)
    {
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                failure = Malformed($"The DPoP proof's {part} is not a JSON object.");
                return false;
            }

            failure = JsonMembers.Read(ref reader, parsed, readMember, duplicate);
            if (failure is null && reader.Read())
            {
                failure = Malformed($"The DPoP proof's {part} has data after its JSON object.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (found by the fuzz tests).
            failure = Malformed($"The DPoP proof's {part} is not valid JSON in UTF-8.");
        }

        return failure is null;
    }

    private static bool IsDPoPType(string typ) =>
        typ.Equals(DPoPDefaults.ProofTokenType, StringComparison.OrdinalIgnoreCase) ||
        typ.Equals("application/" + DPoPDefaults.ProofTokenType, StringComparison.OrdinalIgnoreCase);

    private DPoPAlgorithm? FindAllowed(string alg)
    {
        foreach (var algorithm in _allowed)
        {
            if (string.Equals(algorithm.Name, alg, StringComparison.Ordinal))
            {
                return algorithm;
            }
        }

        return null;
    }

    private static DPoPFailure? CheckKey(ProofJwk jwk, DPoPAlgorithm algorithm, int maxRsaModulusBits)
    {
        if (jwk.PrivateMember is not null)
        {
            return KeyInvalid($"the jwk has the private or symmetric member '{jwk.PrivateMember}'; send only the public key");
        }

        if (jwk.Kty is null)
        {
            return KeyInvalid("the jwk has no 'kty'");
        }

        if (!string.Equals(jwk.Kty, algorithm.KeyType, StringComparison.Ordinal))
        {
            return KeyInvalid($"alg {algorithm.Name} needs a key of kty '{algorithm.KeyType}', but the jwk's kty is '{QuotedValue.ForDetail(jwk.Kty)}'");
        }

        if (jwk.Alg is not null && !string.Equals(jwk.Alg, algorithm.Name, StringComparison.Ordinal) &&
            !(algorithm.IsEdDsa && DPoPAlgorithm.Find(jwk.Alg) is { IsEdDsa: true }))
        {
            // EdDSA (RFC 8037) and Ed25519 (RFC 9864) name the same signatures with the same keys: either fits either.
            return KeyInvalid($"the jwk is for alg '{QuotedValue.ForDetail(jwk.Alg)}' but the proof is signed with {algorithm.Name}");
        }

        if (algorithm.IsEdDsa)
        {
            return CheckOkpKey(jwk, algorithm);
        }

        if (algorithm.KeyType == "EC")
        {
            if (!string.Equals(jwk.Crv, algorithm.Curve, StringComparison.Ordinal))
            {
                return KeyInvalid($"alg {algorithm.Name} needs curve {algorithm.Curve}, but the jwk's crv is '{QuotedValue.ForDetail(jwk.Crv)}'");
            }

            if (!IsCoordinate(jwk.X, algorithm.CoordinateSize) || !IsCoordinate(jwk.Y, algorithm.CoordinateSize))
            {
                return KeyInvalid(Invariant($"x and y must each be {algorithm.CoordinateSize} bytes, base64url-encoded, for curve {algorithm.Curve}"));
            }

            return null;
        }

        if (jwk.N is null || jwk.E is null || !Base64UrlStrict.IsValid(jwk.N) || !Base64UrlStrict.IsValid(jwk.E))
        {
            return KeyInvalid("an RSA jwk needs base64url members 'n' and 'e'");
        }

        int modulusBits = RsaModulusBits(jwk.N);
        if (modulusBits < MinRsaModulusBits)
        {
            return KeyInvalid(Invariant($"the RSA key has {modulusBits} bits; at least {MinRsaModulusBits} are required"));
        }

        if (modulusBits > maxRsaModulusBits)
        {
            return KeyInvalid(Invariant($"the RSA key has {modulusBits} bits; at most {maxRsaModulusBits} are accepted (MaxRsaKeySize); use a 2048- to {maxRsaModulusBits}-bit key"));
        }

        long exponent = RsaExponent(jwk.E);
        if (exponent < 3 || exponent > MaxRsaExponent || (exponent & 1) == 0)
        {
            return KeyInvalid("the RSA public exponent 'e' must be odd and from 3 to 65537 (AQAB, 65537, is the usual one)");
        }

        return null;
    }

    // The exponent's value, or -1 when it is longer than 3 bytes (no exponent the policy accepts is).
    private static long RsaExponent(string e)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (Base64UrlStrict.MaxDecodedLength(e.Length) > bytes.Length || !Base64UrlStrict.TryDecode(e, bytes, out int length))
        {
            return -1;
        }

        long value = 0;
        foreach (byte b in bytes[..length])
        {
            if (value > MaxRsaExponent)
            {
                return -1;
            }

            value = (value << 8) | b;
        }

        return value;
    }

    /// <summary>An Ed25519 public key (RFC 8037 §2): <c>crv</c> Ed25519, a canonical 32-byte <c>x</c> of large order.</summary>
    private static DPoPFailure? CheckOkpKey(ProofJwk jwk, DPoPAlgorithm algorithm)
    {
        switch (jwk.Crv)
        {
            case "Ed25519":
                break;
            case null:
                return KeyInvalid($"an OKP jwk needs 'crv'; alg {algorithm.Name} needs crv Ed25519");
            case "Ed448":
                return KeyInvalid($"crv Ed448 is not supported; alg {algorithm.Name} needs an Ed25519 key");
            case "X25519" or "X448":
                return KeyInvalid($"crv {jwk.Crv} is a key-agreement (ECDH) key, which cannot sign; alg {algorithm.Name} needs an Ed25519 key");
            default:
                return KeyInvalid($"alg {algorithm.Name} needs crv Ed25519, but the jwk's crv is '{QuotedValue.ForDetail(jwk.Crv)}'");
        }

        if (jwk.Y is not null)
        {
            return KeyInvalid("an OKP (Ed25519) jwk has only 'x', but this one also has 'y' (RFC 8037 §2)");
        }

        Span<byte> key = stackalloc byte[Ed25519Encoding.PublicKeySize];
        if (!IsCoordinate(jwk.X, Ed25519Encoding.PublicKeySize) || !Base64UrlStrict.TryDecode(jwk.X, key, out _))
        {
            return KeyInvalid("x must be the 32-byte Ed25519 public key, base64url-encoded without padding (43 characters)");
        }

        if (!Ed25519Encoding.IsCanonicalPoint(key))
        {
            return KeyInvalid("the Ed25519 public key x is not canonical: its y coordinate is not reduced modulo 2^255 - 19 (RFC 8032 §5.1.3)");
        }

        if (!Ed25519Encoding.IsOnCurve(key))
        {
            return KeyInvalid("the Ed25519 public key x is not a point on the curve (RFC 8032 §5.1.3)");
        }

        if (Ed25519Encoding.IsSmallOrder(key))
        {
            return KeyInvalid("the Ed25519 public key x is a point of small order, with which signatures verify for any message; use a real key pair");
        }

        return null;
    }

    private static bool IsCoordinate(string? value, int size) =>
        value is not null && Base64UrlStrict.IsValid(value) && Base64Url.GetMaxDecodedLength(value.Length) == size;

    private static int RsaModulusBits(string n)
    {
        int max = Base64UrlStrict.MaxDecodedLength(n.Length);
        if (max > (MaxRsaModulusBits / 8) + 1)
        {
            return max * 8;
        }

        Span<byte> modulus = stackalloc byte[max];
        if (!Base64UrlStrict.TryDecode(n, modulus, out int length))
        {
            return 0;
        }

        modulus = modulus[..length];
        int start = modulus.IndexOfAnyExcept((byte)0);
        if (start < 0)
        {
            return 0;
        }

        return ((length - start - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[start]));
    }

    private static bool TryReadPayload(ReadOnlySpan<byte> json, ParsedProof parsed, out DPoPFailure? failure) =>
        TryReadObject(json, "payload", parsed, ReadClaim,
            static name => Malformed($"The DPoP proof's payload has the claim '{name}' twice."), out failure);

    private static DPoPFailure? ReadClaim(ref Utf8JsonReader reader, string name, ParsedProof parsed)
    {
        switch (name)
        {
            case "jti": parsed.Jti = ReadStringClaim(ref reader, parsed, name); break;
            case "htm": parsed.Htm = ReadStringClaim(ref reader, parsed, name); break;
            case "htu": parsed.Htu = ReadStringClaim(ref reader, parsed, name); break;
            case "ath": parsed.Ath = ReadStringClaim(ref reader, parsed, name); break;
            case "nonce": parsed.Nonce = ReadStringClaim(ref reader, parsed, name); break;
            case "iat":
                parsed.HasIat = true;
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double iat) && double.IsFinite(iat))
                {
                    parsed.Iat = iat;
                    parsed.IatIsNumber = true;
                }
                else
                {
                    reader.Skip();
                }

                break;
            default:
                reader.Skip();
                break;
        }

        return null;
    }

    private static string? ReadStringClaim(ref Utf8JsonReader reader, ParsedProof parsed, string name)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        parsed.NonStringClaim ??= name;
        reader.Skip();
        return null;
    }

    private DPoPFailure? CheckClaims(ParsedProof parsed, string httpMethod, string expectedHtu, ReadOnlyMemory<char>? accessToken)
    {
        if (parsed.NonStringClaim is not null)
        {
            return parsed.NonStringClaim switch
            {
                "jti" => new(DPoPFailureCode.JtiInvalid, "The DPoP proof's jti must be a string."),
                "htm" => new(DPoPFailureCode.HtmMismatch, "The DPoP proof's htm must be a string: the request method."),
                "htu" => new(DPoPFailureCode.HtuMismatch, "The DPoP proof's htu must be a string: the request URI."),
                "ath" => new(DPoPFailureCode.AthInvalid, "The DPoP proof's ath must be a string: base64url(SHA-256(access token))."),
                _ => Malformed("The DPoP proof's nonce must be a string."),
            };
        }

        // RFC 9449 §4.2: jti, a unique identifier.
        if (string.IsNullOrEmpty(parsed.Jti))
        {
            return new(DPoPFailureCode.JtiInvalid, "The DPoP proof has no jti; give every proof a unique random identifier (at least 96 bits).");
        }

        if (parsed.Jti.Length > MaxJtiLength)
        {
            return new(DPoPFailureCode.JtiInvalid, Invariant($"The DPoP proof's jti is {parsed.Jti.Length} characters; at most {MaxJtiLength} are accepted."));
        }

        // RFC 9449 §4.3 item 8: case-sensitive.
        if (parsed.Htm is null)
        {
            return new(DPoPFailureCode.HtmMismatch, Invariant($"The DPoP proof has no htm; it must be the request method, '{httpMethod}'."));
        }

        if (!string.Equals(parsed.Htm, httpMethod, StringComparison.Ordinal))
        {
            return new(DPoPFailureCode.HtmMismatch, $"The DPoP proof's htm '{QuotedValue.ForDetail(parsed.Htm)}' does not match the request method '{httpMethod}' (the comparison is case-sensitive).");
        }

        // RFC 9449 §4.3 item 9.
        if (parsed.Htu is null)
        {
            return new(DPoPFailureCode.HtuMismatch, $"The DPoP proof has no htu; it must be the request URI without query and fragment, '{expectedHtu}'.");
        }

        // The usual case costs one comparison: a client that sends the URI already normalised.
        string? actualHtu = string.Equals(parsed.Htu, expectedHtu, StringComparison.Ordinal) ? expectedHtu : null;
        string? htuError = null;
        if (actualHtu is null && !HtuNormalizer.TryNormalize(parsed.Htu, out actualHtu, out htuError))
        {
            return new(DPoPFailureCode.HtuMismatch, $"The DPoP proof's htu '{QuotedValue.ForDetail(parsed.Htu)}' is not usable: {htuError}. It must be the request URI, '{expectedHtu}'.");
        }

        if (!string.Equals(actualHtu, expectedHtu, StringComparison.Ordinal))
        {
            return new(DPoPFailureCode.HtuMismatch, $"The DPoP proof's htu '{QuotedValue.ForDetail(parsed.Htu)}' does not match the request URI '{expectedHtu}' (compared without query and fragment, after RFC 3986 normalisation).");
        }

        // RFC 9449 §4.3 item 11: within an acceptable window.
        var iatFailure = CheckIat(parsed);
        if (iatFailure is not null)
        {
            return iatFailure;
        }

        // RFC 9449 §4.3 item 12 / §7: when presented with an access token, ath is required and must match.
        if (accessToken is not null)
        {
            if (parsed.Ath is null)
            {
                return new(DPoPFailureCode.AthInvalid, "The DPoP proof has no ath; a proof sent with an access token must carry ath = base64url(SHA-256(access token)).");
            }

            if (!AthMatches(parsed.Ath, accessToken.Value.Span))
            {
                return new(DPoPFailureCode.AthInvalid, "The DPoP proof's ath is not the hash of the access token sent with it; make a new proof for this token.");
            }
        }

        return null;
    }

    private DPoPFailure? CheckIat(ParsedProof parsed)
    {
        if (!parsed.HasIat)
        {
            return new(DPoPFailureCode.IatInvalid, "The DPoP proof has no iat; it must be the time the proof was made, in seconds since the epoch.");
        }

        if (!parsed.IatIsNumber)
        {
            return new(DPoPFailureCode.IatInvalid, "The DPoP proof's iat is not a NumericDate (a JSON number of seconds since the epoch).");
        }

        double now = _options.Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        double age = now - parsed.Iat;
        double lifetime = _options.ProofLifetime.TotalSeconds;
        double skew = _options.ClockSkew.TotalSeconds;
        if (age > lifetime)
        {
            return new(DPoPFailureCode.IatInvalid, Invariant($"The DPoP proof's iat is {Seconds(age)} s in the past; the allowed window is {Seconds(lifetime)} s. Make a fresh proof for every request, and check the client's clock."));
        }

        if (-age > skew)
        {
            return new(DPoPFailureCode.IatInvalid, Invariant($"The DPoP proof's iat is {Seconds(-age)} s in the future; the allowed clock skew is {Seconds(skew)} s. Check the client's clock."));
        }

        parsed.IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(parsed.Iat * 1000));
        return null;
    }

    private static string Seconds(double value) =>
        value >= 1e12 ? "more than 10^12" : Math.Ceiling(value).ToString("0", CultureInfo.InvariantCulture);

    private static bool AthMatches(string ath, ReadOnlySpan<char> accessToken)
    {
        if (ath.Length != 43)
        {
            return false;
        }

        // Tokens are token68 (ASCII), where UTF-8 and ASCII are the same bytes.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        TextHash.Sha256(accessToken, hash);
        Span<byte> expected = stackalloc byte[43];
        Base64Url.EncodeToUtf8(hash, expected);
        Span<byte> actual = stackalloc byte[43];
        for (int i = 0; i < 43; i++)
        {
            if (ath[i] > 0x7F)
            {
                return false;
            }

            actual[i] = (byte)ath[i];
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

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

    /// <summary>RFC 9449 §4.3 item 6: the signature verifies with the proof's own <c>jwk</c>.</summary>
    internal static DPoPFailure? VerifySignature(ParsedProof parsed)
    {
        var failure = VerifySignatureCore(parsed);
        if (failure is not null && !parsed.HeaderCached)
        {
            // A header that is not kept: its imported key goes now, not with the garbage collector.
            parsed.Header?.Keys.Evict();
        }

        return failure;
    }

    private static DPoPFailure? VerifySignatureCore(ParsedProof parsed)
    {
        var algorithm = parsed.Algorithm!;
        var jwk = parsed.Jwk!;
        string proof = parsed.Raw;
        ReadOnlySpan<char> signaturePart = proof.AsSpan(parsed.SignatureStart);
        int signingInputLength = parsed.SignatureStart - 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(signingInputLength + Base64UrlStrict.MaxDecodedLength(signaturePart.Length));
        try
        {
            int written = Encoding.ASCII.GetBytes(proof.AsSpan(0, signingInputLength), buffer);
            ReadOnlySpan<byte> signingInput = buffer.AsSpan(0, written);
            if (!Base64UrlStrict.TryDecode(signaturePart, buffer.AsSpan(written), out int signatureLength))
            {
                return Malformed("The DPoP proof's signature is not valid base64url.");
            }

            ReadOnlySpan<byte> signature = buffer.AsSpan(written, signatureLength);
            if (algorithm.IsEdDsa)
            {
                return VerifyEd25519(parsed.Header!, signingInput, signature);
            }

            if (algorithm.KeyType == "EC" && signature.Length != 2 * algorithm.CoordinateSize)
            {
                return SignatureInvalid(Invariant($"an {algorithm.Name} signature is {2 * algorithm.CoordinateSize} bytes (R || S), this one is {signature.Length}"));
            }

            var pool = parsed.Header!.Keys;
            var key = pool.TryRent();
            if (key is null)
            {
                DPoPFailure? keyFailure;
                key = algorithm.KeyType == "EC" ? ImportEC(jwk, algorithm, out keyFailure) : ImportRsa(jwk, out keyFailure);
                if (key is null)
                {
                    return keyFailure;
                }
            }

            bool valid;
            try
            {
                if (key is ECDsa ecdsa)
                {
                    valid = ecdsa.VerifyData(signingInput, signature, algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
                }
                else
                {
                    var rsa = (RSA)key;
                    if (signature.Length != (rsa.KeySize + 7) / 8)
                    {
                        return SignatureInvalid(Invariant($"an {algorithm.Name} signature with this key is {(rsa.KeySize + 7) / 8} bytes, this one is {signature.Length}"));
                    }

                    valid = rsa.VerifyData(signingInput, signature, algorithm.Hash, algorithm.Padding!);
                }
            }
            finally
            {
                pool.Return(key);
            }

            return valid ? null : SignatureInvalid("it does not verify with the proof's jwk; sign the proof with the private key of the jwk it carries");
        }
        catch (CryptographicException)
        {
            return SignatureInvalid("it could not be verified with the proof's jwk");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Strict RFC 8032 §5.1.7 verification; the key was checked (canonical, not small-order) with the header.</summary>
    private static DPoPFailure? VerifyEd25519(ProofHeader header, ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519Encoding.SignatureSize)
        {
            return SignatureInvalid(Invariant($"an Ed25519 signature is {Ed25519Encoding.SignatureSize} bytes (R || S), this one is {signature.Length}"));
        }

        if (!Ed25519Encoding.IsCanonicalScalar(signature[Ed25519Encoding.PublicKeySize..]))
        {
            return SignatureInvalid("its S is not reduced modulo the group order L (a non-canonical Ed25519 signature, RFC 8032 §5.1.7)");
        }

        // libsodium's verification is strict as well (canonical R and A, no small-order R or A, S < L): the checks above
        // only give the precise reason. A PublicKey is immutable, so one instance per header serves every thread.
        if (header.Ed25519Key is not { } key)
        {
            return KeyInvalid("the Ed25519 public key x could not be imported");
        }

        return Ed25519Verifier.Verify(key, signingInput, signature)
            ? null
            : SignatureInvalid("it does not verify with the proof's jwk; sign the proof with the private key of the jwk it carries");
    }

    private static ECDsa? ImportEC(ProofJwk jwk, DPoPAlgorithm algorithm, out DPoPFailure? failure)
    {
        failure = null;
        var parameters = new ECParameters
        {
            Curve = DPoPAlgorithm.CurveFor(algorithm.Curve!),
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk.X),
                Y = Base64Url.DecodeFromChars(jwk.Y),
            },
        };

        var ecdsa = ECDsa.Create();
        try
        {
            // The platform refuses a point that is not on the curve (invalid-curve attacks).
            ecdsa.ImportParameters(parameters);
            return ecdsa;
        }
        catch (CryptographicException)
        {
            ecdsa.Dispose();
            failure = KeyInvalid($"the point (x, y) is not on curve {algorithm.Curve}");
            return null;
        }
    }

    private static RSA? ImportRsa(ProofJwk jwk, out DPoPFailure? failure)
    {
        failure = null;
        var parameters = new RSAParameters
        {
            Modulus = TrimLeadingZeros(Base64Url.DecodeFromChars(jwk.N)),
            Exponent = TrimLeadingZeros(Base64Url.DecodeFromChars(jwk.E)),
        };

        var rsa = RSA.Create();
        try
        {
            rsa.ImportParameters(parameters);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            failure = KeyInvalid("the RSA modulus or exponent is not acceptable");
            return null;
        }

        static byte[] TrimLeadingZeros(byte[] value)
        {
            int start = value.AsSpan().IndexOfAnyExcept((byte)0);
            return start <= 0 ? value : value[start..];
        }
    }

    internal static string ReplayKey(string jkt, string jti)
    {
        // jkt is base64url, so '.' cannot occur in it: the pair is unambiguous.
        int length = jkt.Length + 1 + Encoding.UTF8.GetMaxByteCount(jti.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int written = Encoding.ASCII.GetBytes(jkt, buffer);
            buffer[written++] = (byte)'.';
            written += Encoding.UTF8.GetBytes(jti, buffer.AsSpan(written));
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, written), hash);
            return Base64Url.EncodeToString(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static DPoPFailure Malformed(string detail) => new(DPoPFailureCode.ProofMalformed, detail);

    private static DPoPFailure KeyInvalid(string why) => ProofJwk.Invalid(why);

    private static DPoPFailure SignatureInvalid(string why) => new(DPoPFailureCode.ProofSignatureInvalid, $"The DPoP proof's signature is invalid: {why}.");

    private static string Invariant(FormattableString value) => FormattableString.Invariant(value);
}
