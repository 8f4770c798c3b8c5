namespace Arcp.DPoP;

/// <summary>
/// The exception an <see cref="Microsoft.AspNetCore.Authentication.AuthenticateResult"/> carries when the DPoP
/// handler refuses a request. Its <see cref="Failure"/> says which check failed.
/// </summary>
public sealed class DPoPAuthenticationException : Exception
{
    /// <summary>Creates the exception for a failure.</summary>
    /// <param name="failure">The failure.</param>
    public DPoPAuthenticationException(DPoPFailure failure)
        : base((failure ?? throw new ArgumentNullException(nameof(failure))).Detail)
    {
        Failure = failure;
    }

    /// <summary>Creates the exception for a failure with the exception that caused it (kept for logs, never shown to clients).</summary>
    /// <param name="failure">The failure.</param>
    /// <param name="innerException">The cause.</param>
    public DPoPAuthenticationException(DPoPFailure failure, Exception? innerException)
        : base((failure ?? throw new ArgumentNullException(nameof(failure))).Detail, innerException)
    {
        Failure = failure;
    }

    /// <summary>Which check failed.</summary>
    public DPoPFailure Failure { get; }
}
