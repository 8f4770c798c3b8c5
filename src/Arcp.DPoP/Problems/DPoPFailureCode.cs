namespace Arcp.DPoP;

/// <summary>
/// Why a request was refused. Each code maps to exactly one ARCP problem type
/// (see <see cref="DPoPProblemTypes.For(DPoPFailureCode)"/>).
/// </summary>
public enum DPoPFailureCode
{
    /// <summary>The request carried no access token.</summary>
    NoCredentials = 0,

    /// <summary>The <c>Authorization</c> header is malformed or repeated.</summary>
    AuthorizationMalformed,

    /// <summary>The access token failed validation (signature, issuer, audience, type, unknown key...).</summary>
    TokenInvalid,

    /// <summary>The access token has expired or is not yet valid.</summary>
    TokenExpired,

    /// <summary>DPoP is required but the access token has no <c>cnf.jkt</c> claim.</summary>
    TokenNotBound,

    /// <summary>The access token is DPoP-bound but the request carried no <c>DPoP</c> header (RFC 9449 §7.2).</summary>
    ProofMissing,

    /// <summary>More than one <c>DPoP</c> header, or a comma-joined value (RFC 9449 §4.3 item 1).</summary>
    ProofMultiple,

    /// <summary>The <c>DPoP</c> header is longer than <see cref="DPoPOptions.MaxProofLength"/>.</summary>
    ProofTooLarge,

    /// <summary>The proof is not a compact JWS of valid base64url and JSON (RFC 9449 §4.3 items 2-3).</summary>
    ProofMalformed,

    /// <summary>The proof's <c>typ</c> is not <c>dpop+jwt</c> (RFC 9449 §4.3 item 4).</summary>
    ProofTypeInvalid,

    /// <summary>The proof's <c>alg</c> is not an allowed asymmetric algorithm (RFC 9449 §4.3 item 5).</summary>
    ProofAlgorithmNotAllowed,

    /// <summary>The proof's <c>jwk</c> is missing, private, weak, malformed or does not fit <c>alg</c> (RFC 9449 §4.3 item 7).</summary>
    ProofKeyInvalid,

    /// <summary>The proof's signature does not verify with its <c>jwk</c> (RFC 9449 §4.3 item 6).</summary>
    ProofSignatureInvalid,

    /// <summary>The proof's <c>htm</c> does not match the request method (RFC 9449 §4.3 item 8).</summary>
    HtmMismatch,

    /// <summary>The proof's <c>htu</c> does not match the request URI (RFC 9449 §4.3 item 9).</summary>
    HtuMismatch,

    /// <summary>The proof's <c>iat</c> is missing or outside the acceptance window (RFC 9449 §4.3 item 11).</summary>
    IatInvalid,

    /// <summary>The proof's <c>jti</c> is missing or not an acceptable string (RFC 9449 §4.2).</summary>
    JtiInvalid,

    /// <summary>The proof's <c>ath</c> is missing or is not the hash of the access token (RFC 9449 §4.3 item 12).</summary>
    AthInvalid,

    /// <summary>The proof (same key and <c>jti</c>) was already used (RFC 9449 §11.1).</summary>
    ProofReplayed,

    /// <summary>A server nonce is required (<see cref="DPoPOptions.RequireNonce"/>) but the proof has none (RFC 9449 §9).</summary>
    NonceRequired,

    /// <summary>The proof's nonce has expired, or was not issued by this API (RFC 9449 §9).</summary>
    NonceInvalid,

    /// <summary>The replay cache could not answer, so no proof can be accepted (fail closed); retry shortly.</summary>
    ReplayCheckUnavailable,

    /// <summary>The proof key's thumbprint is not the token's <c>cnf.jkt</c> (RFC 9449 §4.3 item 12, §6.1).</summary>
    BindingMismatch,

    /// <summary>The request was authenticated but the authorization policy refused it (HTTP 403).</summary>
    Forbidden,

    /// <summary>
    /// The token issuer's metadata or signing keys cannot be fetched and none are cached, so no access token can be
    /// checked (503 service-unavailable with Retry-After: the client keeps its token and retries).
    /// </summary>
    IssuerUnavailable,
}
