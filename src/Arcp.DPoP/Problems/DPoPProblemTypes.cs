namespace Arcp.DPoP;

/// <summary>
/// The ARCP problem types the handler writes, and the one table that maps each
/// <see cref="DPoPFailureCode"/> to its problem type and RFC 6750/9449 error code.
/// </summary>
public static class DPoPProblemTypes
{
    /// <summary><c>dpop-required</c> (401): a bound token came without a proof.</summary>
    public static DPoPProblemType DPoPRequired { get; } = new(ArcpProblemNames.DPoPRequired, 401, "DPoP Proof Required");

    /// <summary><c>dpop-invalid</c> (401): a proof came but failed a check.</summary>
    public static DPoPProblemType DPoPInvalid { get; } = new(ArcpProblemNames.DPoPInvalid, 401, "Invalid DPoP Proof");

    /// <summary><c>dpop-binding-mismatch</c> (401): the proof key is not the key the token is bound to.</summary>
    public static DPoPProblemType DPoPBindingMismatch { get; } = new(ArcpProblemNames.BindingMismatch, 401, "DPoP Key Mismatch");

    /// <summary><c>token-not-dpop-bound</c> (401): DPoP is required but the token has no <c>cnf.jkt</c>.</summary>
    public static DPoPProblemType TokenNotDPoPBound { get; } = new(ArcpProblemNames.TokenNotDPoPBound, 401, "Token Not DPoP Bound");

    /// <summary><c>authentication-failed</c> (401): the access token itself, or the <c>Authorization</c> header, failed.</summary>
    public static DPoPProblemType AuthenticationFailed { get; } = new(ArcpProblemNames.AuthenticationFailed, 401, "Authentication Failed");

    /// <summary><c>insufficient-permissions</c> (403): authenticated, but the authorization policy refused the request.</summary>
    public static DPoPProblemType InsufficientPermissions { get; } = new(ArcpProblemNames.InsufficientPermissions, 403, "Insufficient Permissions");

    /// <summary>
    /// <c>service-unavailable</c> (503): the replay cache cannot answer, so the request is refused (fail closed) with
    /// <c>Retry-After</c>. This type is an Arcp.DPoP addition under the ARCP base; ARCP's catalogue has no 503 type.
    /// </summary>
    public static DPoPProblemType ServiceUnavailable { get; } = new(ArcpProblemNames.ServiceUnavailable, 503, "Service Unavailable");

    /// <summary>The RFC 6750 error code for an invalid access token.</summary>
    public const string InvalidTokenError = "invalid_token";

    /// <summary>The RFC 6750 error code for a malformed request.</summary>
    public const string InvalidRequestError = "invalid_request";

    /// <summary>The RFC 9449 error code for an invalid or missing DPoP proof.</summary>
    public const string InvalidDPoPProofError = "invalid_dpop_proof";

    /// <summary>The RFC 9449 §9 error code asking the client to use the server's nonce.</summary>
    public const string UseDPoPNonceError = "use_dpop_nonce";

    /// <summary>The RFC 6749 error code for a server that cannot answer now.</summary>
    public const string TemporarilyUnavailableError = "temporarily_unavailable";

    /// <summary>The RFC 6750 error code for a request the token does not permit.</summary>
    public const string InsufficientScopeError = "insufficient_scope";

    /// <summary>The problem type a failure is reported as.</summary>
    /// <param name="code">The failure.</param>
    public static DPoPProblemType For(DPoPFailureCode code) => Entry(code).ProblemType;

    /// <summary>The RFC 6750/9449 <c>error</c> code a failure is reported with, or <see langword="null"/> for none.</summary>
    /// <param name="code">The failure.</param>
    public static string? ErrorCodeFor(DPoPFailureCode code) => Entry(code).Error;

    // The one table: every failure, its ARCP problem type and its WWW-Authenticate error code.
    private static (DPoPProblemType ProblemType, string? Error) Entry(DPoPFailureCode code) => code switch
    {
        DPoPFailureCode.NoCredentials => (AuthenticationFailed, null),
        DPoPFailureCode.AuthorizationMalformed => (AuthenticationFailed, InvalidRequestError),
        DPoPFailureCode.TokenInvalid => (AuthenticationFailed, InvalidTokenError),
        DPoPFailureCode.TokenExpired => (AuthenticationFailed, InvalidTokenError),
        DPoPFailureCode.TokenNotBound => (TokenNotDPoPBound, InvalidTokenError),
        DPoPFailureCode.ProofMissing => (DPoPRequired, InvalidDPoPProofError),
        DPoPFailureCode.ProofMultiple => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofTooLarge => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofMalformed => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofTypeInvalid => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofAlgorithmNotAllowed => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofKeyInvalid => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofSignatureInvalid => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.HtmMismatch => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.HtuMismatch => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.IatInvalid => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.JtiInvalid => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.AthInvalid => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.ProofReplayed => (DPoPInvalid, InvalidDPoPProofError),
        DPoPFailureCode.NonceRequired => (DPoPInvalid, UseDPoPNonceError),
        DPoPFailureCode.NonceInvalid => (DPoPInvalid, UseDPoPNonceError),
        DPoPFailureCode.ReplayCheckUnavailable => (ServiceUnavailable, TemporarilyUnavailableError),
        DPoPFailureCode.IssuerUnavailable => (ServiceUnavailable, TemporarilyUnavailableError),
        DPoPFailureCode.BindingMismatch => (DPoPBindingMismatch, InvalidTokenError),
        DPoPFailureCode.Forbidden => (InsufficientPermissions, InsufficientScopeError),
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Unknown DPoP failure code."),
    };
}
