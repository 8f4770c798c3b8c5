namespace Arcp.DPoP;

/// <summary>
/// What step 4 (the access token) yields: the validated token, or the failure and the exception behind it (kept for
/// logs and the <see cref="DPoPEvents.AuthenticationFailed"/> event, never shown to the client).
/// </summary>
internal readonly struct AccessTokenResult
{
    private AccessTokenResult(ValidatedToken? token, DPoPFailure? failure, Exception? cause)
    {
        Token = token;
        Failure = failure;
        Cause = cause;
    }

    public ValidatedToken? Token { get; }

    public DPoPFailure? Failure { get; }

    public Exception? Cause { get; }

    public static AccessTokenResult Valid(ValidatedToken token) => new(token, null, null);

    public static AccessTokenResult Invalid(DPoPFailure failure, Exception? cause) => new(null, failure, cause);
}
