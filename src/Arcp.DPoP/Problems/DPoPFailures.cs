using System.Globalization;

namespace Arcp.DPoP;

/// <summary>
/// Every failure the library reports, built in one place (as Microsoft.IdentityModel keeps its <c>LogMessages</c>), in
/// the order of the steps (docs/architecture.md). A failure whose detail never changes is one cached instance, so a
/// refusal costs no allocation; the others are methods that put the request's values in. Details are for a client
/// developer: which check failed and what to do, never an exception's text, and a client's own values are quoted
/// through <see cref="QuotedValue.ForDetail"/>.
/// </summary>
internal static class DPoPFailures
{
    // Challenge and events (the handler).

    /// <summary>Why a request with no credentials of ours is challenged.</summary>
    public static readonly DPoPFailure NoCredentials = new(DPoPFailureCode.NoCredentials,
        "The request has no access token. Send 'Authorization: DPoP <access token>' and a DPoP proof in the 'DPoP' header (RFC 9449 §7.1).");

    /// <summary>Why a request refused by something other than this handler (another failure type) is challenged.</summary>
    public static readonly DPoPFailure NotAuthenticated = new(DPoPFailureCode.TokenInvalid, "The request could not be authenticated.");

    /// <summary>Why an authenticated request the authorization policy refuses is answered 403.</summary>
    public static readonly DPoPFailure Forbidden = new(DPoPFailureCode.Forbidden,
        "The access token and DPoP proof are valid, but this API's authorization policy does not allow this request (for example a missing scope or role).");

    /// <summary>An event refused with an exception of its own: its text never reaches the client.</summary>
    public static readonly DPoPFailure EventRefused = new(DPoPFailureCode.TokenInvalid, "The application refused this request's credentials.");

    // Step 1: Authorization (RFC 9449 §7.1).
    public static readonly DPoPFailure AuthorizationMultiple = new(DPoPFailureCode.AuthorizationMalformed,
        "The request has more than one Authorization header; send exactly one: 'Authorization: DPoP <access token>'.");

    public static readonly DPoPFailure AuthorizationNotToken68 = new(DPoPFailureCode.AuthorizationMalformed,
        "The access token in the Authorization header has characters a token68 cannot have (RFC 9449 §7.1, RFC 7235 §2.1).");

    public static DPoPFailure AuthorizationEmpty(ReadOnlySpan<char> scheme) => new(DPoPFailureCode.AuthorizationMalformed,
        $"The Authorization header has no access token after '{scheme}'; send 'Authorization: DPoP <access token>'.");

    // Step 2: the DPoP header (RFC 9449 §4.3 item 1).
    public static readonly DPoPFailure ProofListed = new(DPoPFailureCode.ProofMultiple,
        "The DPoP header holds more than one value (comma-separated); send exactly one DPoP proof per request.");

    public static readonly DPoPFailure ProofHeaderEmpty = new(DPoPFailureCode.ProofMalformed, "The DPoP header is empty; it must carry a DPoP proof JWT.");

    public static DPoPFailure ProofHeaders(int count) => new(DPoPFailureCode.ProofMultiple,
        Invariant($"The request has {count} DPoP headers; send exactly one DPoP proof per request."));

    // Step 3: the request's URI and Host (issue 11 item 2).
    public static DPoPFailure HostNotServed(string? host) => new(DPoPFailureCode.HtuMismatch,
        $"The request's Host '{QuotedValue.ForDetail(host)}' is not one this API serves, so no htu can match; send the request to this API's own address.");

    public static DPoPFailure RequestUriUnusable(string? error) => new(DPoPFailureCode.HtuMismatch, $"The request URI cannot be compared with htu: {error}.");

    // Step 3: the proof's form (RFC 9449 §4.3 items 2-3; RFC 7515).
    public static readonly DPoPFailure ProofMissing = new(DPoPFailureCode.ProofMissing,
        "The request has no DPoP header; sign a DPoP proof for this request with the key the access token is bound to and send it in the DPoP header.");

    // A token request (RFC 9449 §5) has no access token to name the key: the proof is what the token will be bound to.
    public static readonly DPoPFailure TokenRequestWithoutProof = new(DPoPFailureCode.ProofMissing,
        "The token request has no DPoP header: sign a DPoP proof (htm POST, htu this token endpoint's URL) with the key the token is to be bound to, and send it in the DPoP header (RFC 9449 §5).");

    public static readonly DPoPFailure NotCompactJws = Malformed("The DPoP proof is not a JWS in compact serialisation (three non-empty base64url parts separated by '.').");

    public static readonly DPoPFailure HeaderNotBase64Url = Malformed("The DPoP proof's JOSE header is not valid base64url.");

    public static readonly DPoPFailure PayloadNotBase64Url = Malformed("The DPoP proof's payload is not valid base64url.");

    public static readonly DPoPFailure SignatureNotBase64Url = Malformed("The DPoP proof's signature is not valid base64url.");

    public static readonly DPoPFailure Critical = Malformed("The DPoP proof's JOSE header has 'crit'; this server supports no critical header extensions.");

    /// <summary>The JSON failures of the JOSE header.</summary>
    public static readonly JsonPart Header = new("JOSE header", static name => Malformed($"The DPoP proof's JOSE header has the member '{name}' twice."));

    /// <summary>The JSON failures of the payload.</summary>
    public static readonly JsonPart Payload = new("payload", static name => Malformed($"The DPoP proof's payload has the claim '{name}' twice."));

    public static DPoPFailure ProofTooLarge(int length, int limit) => new(DPoPFailureCode.ProofTooLarge,
        Invariant($"The DPoP header is {length} characters; the limit is {limit}."));

    // Step 3: the JOSE header (RFC 9449 §4.3 items 4-5, RFC 8725 §3.1).
    public static readonly DPoPFailure TypMissing = new(DPoPFailureCode.ProofTypeInvalid, "The DPoP proof has no 'typ' header; it must be 'dpop+jwt'.");

    public static readonly DPoPFailure JwkMissing = new(DPoPFailureCode.ProofKeyInvalid, "The DPoP proof has no 'jwk' header; it must carry the public key that signed it.");

    public static DPoPFailure TypInvalid(string typ) => new(DPoPFailureCode.ProofTypeInvalid, $"The DPoP proof's typ is '{QuotedValue.ForDetail(typ)}'; it must be 'dpop+jwt'.");

    public static DPoPFailure AlgMissing(string allowed) => new(DPoPFailureCode.ProofAlgorithmNotAllowed, $"The DPoP proof has no 'alg' header; use one of: {allowed}.");

    public static DPoPFailure AlgNotAllowed(string alg, string allowed)
    {
        string why = alg.Equals("none", StringComparison.OrdinalIgnoreCase) ? "an unsigned proof proves nothing"
            : alg.StartsWith("HS", StringComparison.OrdinalIgnoreCase) ? "a symmetric (MAC) algorithm cannot prove possession of a public key"
            : "it is not on this API's allow-list";
        return new(DPoPFailureCode.ProofAlgorithmNotAllowed, $"The DPoP proof's alg '{QuotedValue.ForDetail(alg)}' is not allowed: {why}. Use one of: {allowed}.");
    }

    // Step 3: the payload's claims (RFC 9449 §4.2, §4.3 items 8-12).
    public static readonly DPoPFailure JtiNotString = new(DPoPFailureCode.JtiInvalid, "The DPoP proof's jti must be a string.");

    public static readonly DPoPFailure HtmNotString = new(DPoPFailureCode.HtmMismatch, "The DPoP proof's htm must be a string: the request method.");

    public static readonly DPoPFailure HtuNotString = new(DPoPFailureCode.HtuMismatch, "The DPoP proof's htu must be a string: the request URI.");

    public static readonly DPoPFailure AthNotString = new(DPoPFailureCode.AthInvalid, "The DPoP proof's ath must be a string: base64url(SHA-256(access token)).");

    public static readonly DPoPFailure NonceNotString = Malformed("The DPoP proof's nonce must be a string.");

    public static readonly DPoPFailure JtiMissing = new(DPoPFailureCode.JtiInvalid, "The DPoP proof has no jti; give every proof a unique random identifier (at least 96 bits).");

    public static readonly DPoPFailure IatMissing = new(DPoPFailureCode.IatInvalid, "The DPoP proof has no iat; it must be the time the proof was made, in seconds since the epoch.");

    public static readonly DPoPFailure IatNotNumber = new(DPoPFailureCode.IatInvalid, "The DPoP proof's iat is not a NumericDate (a JSON number of seconds since the epoch).");

    public static readonly DPoPFailure AthMissing = new(DPoPFailureCode.AthInvalid, "The DPoP proof has no ath; a proof sent with an access token must carry ath = base64url(SHA-256(access token)).");

    public static readonly DPoPFailure AthMismatch = new(DPoPFailureCode.AthInvalid, "The DPoP proof's ath is not the hash of the access token sent with it; make a new proof for this token.");

    public static DPoPFailure JtiTooLong(int length, int limit) => new(DPoPFailureCode.JtiInvalid,
        Invariant($"The DPoP proof's jti is {length} characters; at most {limit} are accepted."));

    public static DPoPFailure HtmMissing(string method) => new(DPoPFailureCode.HtmMismatch, Invariant($"The DPoP proof has no htm; it must be the request method, '{method}'."));

    public static DPoPFailure HtmMismatch(string htm, string method) => new(DPoPFailureCode.HtmMismatch,
        $"The DPoP proof's htm '{QuotedValue.ForDetail(htm)}' does not match the request method '{method}' (the comparison is case-sensitive).");

    public static DPoPFailure HtuMissing(string expected) => new(DPoPFailureCode.HtuMismatch,
        $"The DPoP proof has no htu; it must be the request URI without query and fragment, '{expected}'.");

    public static DPoPFailure HtuUnusable(string htu, string? error, string expected) => new(DPoPFailureCode.HtuMismatch,
        $"The DPoP proof's htu '{QuotedValue.ForDetail(htu)}' is not usable: {error}. It must be the request URI, '{expected}'.");

    public static DPoPFailure HtuMismatch(string htu, string expected) => new(DPoPFailureCode.HtuMismatch,
        $"The DPoP proof's htu '{QuotedValue.ForDetail(htu)}' does not match the request URI '{expected}' (compared without query and fragment, after RFC 3986 normalisation).");

    public static DPoPFailure IatTooOld(double age, double lifetime) => new(DPoPFailureCode.IatInvalid,
        Invariant($"The DPoP proof's iat is {Seconds(age)} s in the past; the allowed window is {Seconds(lifetime)} s. Make a fresh proof for every request, and check the client's clock."));

    public static DPoPFailure IatInFuture(double ahead, double skew) => new(DPoPFailureCode.IatInvalid,
        Invariant($"The DPoP proof's iat is {Seconds(ahead)} s in the future; the allowed clock skew is {Seconds(skew)} s. Check the client's clock."));

    // Step 3: the nonce (RFC 9449 §9).
    public static readonly DPoPFailure NonceMissing = new(DPoPFailureCode.NonceRequired,
        "This API requires a server nonce in DPoP proofs (RFC 9449 §9): make a new proof whose nonce claim is the DPoP-Nonce response header's value.");

    public static readonly DPoPFailure NonceExpired = new(DPoPFailureCode.NonceInvalid,
        "The DPoP proof's nonce has expired: make a new proof with the nonce from this response's DPoP-Nonce header.");

    public static readonly DPoPFailure NonceUnknown = new(DPoPFailureCode.NonceInvalid,
        "The DPoP proof's nonce was not issued by this API (or by an instance with another Data Protection key ring): make a new proof with the nonce from this response's DPoP-Nonce header.");

    // Step 3: the jwk (RFC 9449 §4.3 item 7; RFC 7518 §6, RFC 8037 §2, RFC 8725 §3.5).
    public static readonly DPoPFailure JwkNotObject = KeyInvalid("the jwk header is not a JSON object");

    public static readonly DPoPFailure KtyMissing = KeyInvalid("the jwk has no 'kty'");

    public static readonly DPoPFailure RsaMembersMissing = KeyInvalid("an RSA jwk needs base64url members 'n' and 'e'");

    public static readonly DPoPFailure RsaExponentInvalid = KeyInvalid("the RSA public exponent 'e' must be odd and from 3 to 65537 (AQAB, 65537, is the usual one)");

    public static readonly DPoPFailure RsaNotImportable = KeyInvalid("the RSA modulus or exponent is not acceptable");

    public static readonly DPoPFailure OkpHasY = KeyInvalid("an OKP (Ed25519) jwk has only 'x', but this one also has 'y' (RFC 8037 §2)");

    public static readonly DPoPFailure Ed25519XSize = KeyInvalid("x must be the 32-byte Ed25519 public key, base64url-encoded without padding (43 characters)");

    public static readonly DPoPFailure Ed25519NotCanonical = KeyInvalid("the Ed25519 public key x is not canonical: its y coordinate is not reduced modulo 2^255 - 19 (RFC 8032 §5.1.3)");

    public static readonly DPoPFailure Ed25519NotOnCurve = KeyInvalid("the Ed25519 public key x is not a point on the curve (RFC 8032 §5.1.3)");

    public static readonly DPoPFailure Ed25519SmallOrder = KeyInvalid("the Ed25519 public key x is a point of small order, with which signatures verify for any message; use a real key pair");

    public static readonly DPoPFailure Ed25519NotImportable = KeyInvalid("the Ed25519 public key x could not be imported");

    public static DPoPFailure JwkMemberTwice(string name) => KeyInvalid($"the jwk has the member '{name}' twice");

    public static DPoPFailure JwkMemberNotString(string name) => KeyInvalid($"the jwk member '{name}' is not a string");

    public static DPoPFailure JwkPrivate(string member) => KeyInvalid($"the jwk has the private or symmetric member '{member}'; send only the public key");

    public static DPoPFailure KtyMismatch(DPoPAlgorithm algorithm, string kty) =>
        KeyInvalid($"alg {algorithm.Name} needs a key of kty '{algorithm.KeyType}', but the jwk's kty is '{QuotedValue.ForDetail(kty)}'");

    public static DPoPFailure JwkAlgMismatch(string jwkAlg, DPoPAlgorithm algorithm) =>
        KeyInvalid($"the jwk is for alg '{QuotedValue.ForDetail(jwkAlg)}' but the proof is signed with {algorithm.Name}");

    public static DPoPFailure CurveMismatch(DPoPAlgorithm algorithm, string? crv) =>
        KeyInvalid($"alg {algorithm.Name} needs curve {algorithm.Curve}, but the jwk's crv is '{QuotedValue.ForDetail(crv)}'");

    public static DPoPFailure CoordinateSize(DPoPAlgorithm algorithm) =>
        KeyInvalid(Invariant($"x and y must each be {algorithm.CoordinateSize} bytes, base64url-encoded, for curve {algorithm.Curve}"));

    public static DPoPFailure PointNotOnCurve(DPoPAlgorithm algorithm) => KeyInvalid($"the point (x, y) is not on curve {algorithm.Curve}");

    public static DPoPFailure RsaTooSmall(int bits, int minimum) => KeyInvalid(Invariant($"the RSA key has {bits} bits; at least {minimum} are required"));

    public static DPoPFailure RsaTooLarge(int bits, int maximum) =>
        KeyInvalid(Invariant($"the RSA key has {bits} bits; at most {maximum} are accepted (MaxRsaKeySize); use a 2048- to {maximum}-bit key"));

    public static DPoPFailure OkpCurveMissing(DPoPAlgorithm algorithm) => KeyInvalid($"an OKP jwk needs 'crv'; alg {algorithm.Name} needs crv Ed25519");

    public static DPoPFailure OkpCurveEd448(DPoPAlgorithm algorithm) => KeyInvalid($"crv Ed448 is not supported; alg {algorithm.Name} needs an Ed25519 key");

    public static DPoPFailure OkpCurveKeyAgreement(string crv, DPoPAlgorithm algorithm) =>
        KeyInvalid($"crv {crv} is a key-agreement (ECDH) key, which cannot sign; alg {algorithm.Name} needs an Ed25519 key");

    public static DPoPFailure OkpCurveOther(DPoPAlgorithm algorithm, string crv) =>
        KeyInvalid($"alg {algorithm.Name} needs crv Ed25519, but the jwk's crv is '{QuotedValue.ForDetail(crv)}'");

    // Step 4: the access token (RFC 9068, RFC 7519 §4.1; issue 11 items 5 and 16). The configured audiences are never
    // quoted: they are this API's configuration, not the caller's business.
    public static readonly DPoPFailure TokenNotValidated = new(DPoPFailureCode.TokenInvalid, "The access token could not be validated.");

    public static readonly DPoPFailure TokenLifetimeInvalid = new(DPoPFailureCode.TokenExpired, "The access token's lifetime is invalid (nbf is after exp).");

    public static readonly DPoPFailure TokenNoExpiration = new(DPoPFailureCode.TokenInvalid, "The access token has no exp claim; only tokens that expire are accepted.");

    public static readonly DPoPFailure TokenNoAudience = new(DPoPFailureCode.TokenInvalid,
        "The access token has no audience (aud); this API expects an audience it is configured for; ask for a token for this API.");

    public static readonly DPoPFailure TokenNoKid = new(DPoPFailureCode.TokenInvalid,
        "The access token names no key (no kid) and none of the issuer's keys verifies its signature.");

    public static readonly DPoPFailure TokenUnknownKid = new(DPoPFailureCode.TokenInvalid, "The access token is signed with a key the issuer does not publish (unknown kid).");

    public static readonly DPoPFailure TokenSignatureInvalid = new(DPoPFailureCode.TokenInvalid, "The access token's signature is invalid.");

    public static readonly DPoPFailure TokenAlgorithmNotAccepted = new(DPoPFailureCode.TokenInvalid, "The access token is signed with an algorithm this API does not accept.");

    public static readonly DPoPFailure TokenMalformed = new(DPoPFailureCode.TokenInvalid,
        "The access token is not a well-formed JWT (three base64url parts: header, payload, signature).");

    public static readonly DPoPFailure TokenKeysUnusable = new(DPoPFailureCode.TokenInvalid, "The access token could not be validated with the issuer's signing keys.");

    public static readonly DPoPFailure TokenInvalid = new(DPoPFailureCode.TokenInvalid, "The access token is invalid.");

    public static DPoPFailure IssuerUnavailable(TimeSpan retryAfter) => new(DPoPFailureCode.IssuerUnavailable,
        Invariant($"This API cannot reach its token issuer's metadata and signing keys right now, so it cannot check access tokens; retry in {retryAfter.TotalSeconds:0} s with the same token."));

    public static DPoPFailure TokenExpired(DateTime expires) => new(DPoPFailureCode.TokenExpired,
        Invariant($"The access token expired at {expires:yyyy-MM-dd'T'HH:mm:ss'Z'}; get a new one."));

    public static DPoPFailure TokenNotYetValid(DateTime notBefore) => new(DPoPFailureCode.TokenExpired,
        Invariant($"The access token is not valid before {notBefore:yyyy-MM-dd'T'HH:mm:ss'Z'}; check the issuer's and this server's clocks."));

    public static DPoPFailure TokenAudience(string? aud) => new(DPoPFailureCode.TokenInvalid,
        $"The access token's audience (aud {QuotedValue.ForDetail(aud)}) is not one this API accepts; ask the authorization server for a token for this API.");

    public static DPoPFailure TokenIssuer(string? iss) => new(DPoPFailureCode.TokenInvalid,
        $"The access token's issuer (iss '{QuotedValue.ForDetail(iss)}') is not trusted by this API.");

    public static DPoPFailure TokenKeyNotForIssuer(string? iss) => new(DPoPFailureCode.TokenInvalid,
        $"The access token is signed with a key this API does not accept for its issuer (iss '{QuotedValue.ForDetail(iss)}').");

    public static DPoPFailure TokenType(string? typ, IEnumerable<string>? validTypes) => new(DPoPFailureCode.TokenInvalid,
        $"The access token's typ '{QuotedValue.ForDetail(typ)}' is not an access token type (accepted: {string.Join(", ", validTypes ?? [])}).");

    /// <summary>An algorithm or key type this API does not support, said as such (<see cref="TokenSigningFailure"/>).</summary>
    public static DPoPFailure TokenSigning(string why) => new(DPoPFailureCode.TokenInvalid, why);

    // Step 5: the token's binding (RFC 7800 §3.1, RFC 9449 §6.1, §7.2; issue 11 item 3).
    public static readonly DPoPFailure CnfNotObject = new(DPoPFailureCode.TokenInvalid,
        "The access token's cnf claim is not a JSON object (RFC 7800 §3.1), so this API cannot check its binding.");

    public static readonly DPoPFailure CnfWithoutJkt = new(DPoPFailureCode.TokenNotBound,
        "The access token is bound by a confirmation method this API cannot check (its cnf has no jkt, e.g. a certificate binding); ask the authorization server for a DPoP-bound token (cnf.jkt).");

    public static readonly DPoPFailure CnfJktTwice = new(DPoPFailureCode.TokenInvalid,
        "The access token's cnf has jkt more than once, so its binding is ambiguous; ask the authorization server for a token with one cnf.jkt.");

    public static readonly DPoPFailure CnfJktNotThumbprint = new(DPoPFailureCode.TokenInvalid,
        "The access token's cnf.jkt is not a JWK SHA-256 thumbprint (a base64url string of 32 bytes, RFC 9449 §6.1), so this API cannot check its binding.");

    public static readonly DPoPFailure UnboundWithDPoPScheme = new(DPoPFailureCode.TokenNotBound,
        "The access token was sent with the DPoP scheme but is not DPoP-bound: it has no cnf claim. Ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint).");

    public static readonly DPoPFailure UnboundNotAccepted = new(DPoPFailureCode.TokenNotBound,
        "This API accepts only DPoP-bound access tokens, and this one is not: it has no cnf claim. Ask the authorization server for a DPoP-bound token (send a DPoP proof to its token endpoint).");

    public static readonly DPoPFailure BoundWithoutProof = new(DPoPFailureCode.ProofMissing,
        "The access token is DPoP-bound but the request has no DPoP header; sign a DPoP proof for this request with the token's key and send it in the DPoP header.");

    public static readonly DPoPFailure BoundAsBearer = new(DPoPFailureCode.ProofMissing,
        "The access token is DPoP-bound but was sent as a Bearer token without a DPoP proof (RFC 9449 §7.2); send it as 'Authorization: DPoP <token>' with a DPoP proof header.");

    public static readonly DPoPFailure BoundAsBearerWithProof = new(DPoPFailureCode.ProofMissing,
        "The access token is DPoP-bound, and this API follows RFC 9449 §7.2: a DPoP-bound token must be sent as 'Authorization: DPoP <token>', not 'Bearer', even with a DPoP proof; change the Authorization scheme to DPoP.");

    public static DPoPFailure CnfOtherMethod(string member) => new(DPoPFailureCode.TokenInvalid,
        $"The access token's cnf carries '{QuotedValue.ForDetail(member)}' besides jkt, a confirmation method this API cannot check, so its binding cannot be verified in full; ask the authorization server for a token bound by cnf.jkt alone.");

    // Step 6: the thumbprint (RFC 9449 §6.1); ARCP's clients read the detail, so it is ARCP's.
    public static DPoPFailure BindingMismatch(string tokenJkt, string proofJkt) => new(DPoPFailureCode.BindingMismatch, "DPoP proof key does not match token binding")
    {
        ExpectedJkt = tokenJkt,
        ActualJkt = proofJkt,
    };

    // Step 7: the signature (RFC 9449 §4.3 item 6; RFC 8032 §5.1.7).
    public static readonly DPoPFailure SignatureDoesNotVerify = SignatureInvalid("it does not verify with the proof's jwk; sign the proof with the private key of the jwk it carries");

    public static readonly DPoPFailure SignatureNotVerifiable = SignatureInvalid("it could not be verified with the proof's jwk");

    public static readonly DPoPFailure Ed25519SignatureNotCanonical = SignatureInvalid("its S is not reduced modulo the group order L (a non-canonical Ed25519 signature, RFC 8032 §5.1.7)");

    public static DPoPFailure SignatureSize(string algorithm, int expected, int actual) =>
        SignatureInvalid(Invariant($"an {algorithm} signature is {expected} bytes (R || S), this one is {actual}"));

    public static DPoPFailure RsaSignatureSize(string algorithm, int expected, int actual) =>
        SignatureInvalid(Invariant($"an {algorithm} signature with this key is {expected} bytes, this one is {actual}"));

    // Step 8: first use (RFC 9449 §11.1).
    public static readonly DPoPFailure Replayed = new(DPoPFailureCode.ProofReplayed,
        "This DPoP proof was already used (same key and jti); make a new proof, with a new jti, for every request.");

    public static DPoPFailure ReplayCheckUnavailable(TimeSpan retryAfter) => new(DPoPFailureCode.ReplayCheckUnavailable,
        Invariant($"This API cannot check DPoP proofs for replay right now, so it accepts none; retry in {retryAfter.TotalSeconds:0} s with a new proof."));

    /// <summary>A failure's detail about a <c>jwk</c> that is not a usable public key.</summary>
    private static DPoPFailure KeyInvalid(string why) => new(DPoPFailureCode.ProofKeyInvalid, $"The DPoP proof's jwk is not acceptable: {why}.");

    private static DPoPFailure SignatureInvalid(string why) => new(DPoPFailureCode.ProofSignatureInvalid, $"The DPoP proof's signature is invalid: {why}.");

    private static DPoPFailure Malformed(string detail) => new(DPoPFailureCode.ProofMalformed, detail);

    private static string Seconds(double value) =>
        value >= 1e12 ? "more than 10^12" : Math.Ceiling(value).ToString("0", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString value) => FormattableString.Invariant(value);

    /// <summary>The failures of one JSON part of a proof (its header or its payload), each built once.</summary>
    internal sealed class JsonPart
    {
        public JsonPart(string name, Func<string, DPoPFailure> duplicate)
        {
            NotObject = Malformed($"The DPoP proof's {name} is not a JSON object.");
            TrailingData = Malformed($"The DPoP proof's {name} has data after its JSON object.");
            NotJson = Malformed($"The DPoP proof's {name} is not valid JSON in UTF-8.");
            Duplicate = duplicate;
        }

        public DPoPFailure NotObject { get; }

        public DPoPFailure TrailingData { get; }

        public DPoPFailure NotJson { get; }

        /// <summary>A member name seen twice (RFC 7515 §5.2, RFC 8725 §3.1).</summary>
        public Func<string, DPoPFailure> Duplicate { get; }
    }
}
