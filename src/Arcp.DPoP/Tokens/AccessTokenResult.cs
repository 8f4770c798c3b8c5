namespace Arcp.DPoP;

/// <summary>
/// What step 4 (the access token) yields: the validated token, or the failure and the exception behind it (kept for
/// logs and the <see cref="DPoPEvents.AuthenticationFailed"/> event, never shown to the client).
/// </summary>
internal readonly struct AccessTokenResult
{
    private AccessTokenResult(ValidatedToken? token, DPoPFailure? failure, Exception? cause, bool fromCache = false)
    {
        Token = token;
        Failure = failure;
        Cause = cause;
        FromCache = fromCache;
    }

    public ValidatedToken? Token { get; }

    public DPoPFailure? Failure { get; }

    public Exception? Cause { get; }

    /// <summary>Whether the token was found in the validated-token cache (for the trace).</summary>
    public bool FromCache { get; }

    public static AccessTokenResult Valid(ValidatedToken token, bool fromCache = false) => new(token, null, null, fromCache);

    public static AccessTokenResult Invalid(DPoPFailure failure, Exception? cause) => new(null, failure, cause);
}
