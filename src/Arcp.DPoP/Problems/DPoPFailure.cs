namespace Arcp.DPoP;

/// <summary>
/// A typed reason for refusing a request: what failed, in words a client developer can act on.
/// </summary>
public sealed class DPoPFailure
{
    /// <summary>Creates a failure.</summary>
    /// <param name="code">Which check failed.</param>
    /// <param name="detail">The RFC 9457 <c>detail</c>: which check failed and how to fix it. Never exception text.</param>
    public DPoPFailure(DPoPFailureCode code, string detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(detail);
        Code = code;
        Detail = detail;
    }

    /// <summary>Which check failed.</summary>
    public DPoPFailureCode Code { get; }

    /// <summary>The problem <c>detail</c>.</summary>
    public string Detail { get; }

    /// <summary>The ARCP problem type this failure is reported as.</summary>
    public DPoPProblemType ProblemType => DPoPProblemTypes.For(Code);

    /// <summary>The RFC 6750/9449 error code put in <c>WWW-Authenticate</c> and the problem's <c>error</c> member.</summary>
    public string? Error => DPoPProblemTypes.ErrorCodeFor(Code);

    /// <summary>For <see cref="DPoPFailureCode.BindingMismatch"/>: the token's <c>cnf.jkt</c>.</summary>
    public string? ExpectedJkt { get; init; }

    /// <summary>For <see cref="DPoPFailureCode.BindingMismatch"/>: the thumbprint of the proof's <c>jwk</c>.</summary>
    public string? ActualJkt { get; init; }

    /// <summary>
    /// The exception behind a failure (an issuer or a store that could not be reached, a token library's reason), kept
    /// for logs and <see cref="DPoPEvents.AuthenticationFailed"/>; never shown to the client.
    /// </summary>
    internal Exception? Cause { get; private init; }

    /// <summary>This failure with <paramref name="cause"/> behind it (a copy: cached failures stay as they are).</summary>
    internal DPoPFailure WithCause(Exception? cause) => cause is null ? this : new(Code, Detail)
    {
        ExpectedJkt = ExpectedJkt,
        ActualJkt = ActualJkt,
        Cause = cause,
    };

    /// <inheritdoc />
    public override string ToString() => $"{ProblemType.Slug} ({Code}): {Detail}";
}
