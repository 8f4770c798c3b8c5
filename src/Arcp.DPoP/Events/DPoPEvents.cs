namespace Arcp.DPoP;

/// <summary>
/// The decisions of the DPoP handler, each open to observation or override (as JwtBearerEvents are), with one rule:
/// an event never bypasses a check that comes after it. Only <see cref="OnProofValidated"/>, raised when every check
/// has passed, may end authentication with a success.
/// </summary>
/// <remarks>
/// In every event, <c>Fail(...)</c> refuses the request through the handler's own path: it is logged, counted in the
/// metrics and answered with a problem document and challenge. Fail with a <see cref="DPoPAuthenticationException"/>
/// to choose the failure code and detail; any other failure is answered as <c>authentication-failed</c> with a generic
/// detail (an exception's text never reaches the client). <c>NoResult()</c> declines: this scheme authenticates
/// nobody for the request.
/// </remarks>
public class DPoPEvents
{
    /// <summary>
    /// Raised first: may supply the token (<see cref="DPoPMessageReceivedContext.Token"/>) and proof
    /// (<see cref="DPoPMessageReceivedContext.Proof"/>) from elsewhere, refuse (<c>Fail</c>) or decline (<c>NoResult</c>).
    /// <c>Success()</c> here does not authenticate: every check still runs on the token and proof.
    /// </summary>
    public Func<DPoPMessageReceivedContext, Task> OnMessageReceived { get; set; } = NoMessageReceived;

    /// <summary>
    /// Raised when the access token has been validated, before the proof's binding, signature and first use are checked.
    /// It may replace the principal or properties, refuse (<c>Fail</c>) or decline (<c>NoResult</c>); after
    /// <c>Success()</c> the event's principal and properties are used, and the binding, signature and replay checks
    /// still run.
    /// </summary>
    public Func<DPoPTokenValidatedContext, Task> OnTokenValidated { get; set; } = NoTokenValidated;

    /// <summary>
    /// Raised when the proof, its binding to the token and its first use have all been checked: <c>Success()</c> with
    /// another ticket, <c>Fail</c> or <c>NoResult</c> are all honoured here.
    /// </summary>
    public Func<DPoPProofValidatedContext, Task> OnProofValidated { get; set; } = NoProofValidated;

    /// <summary>
    /// Raised when a request is refused, with the failure that says why. It may replace the failure (<c>Fail</c>) or
    /// decline (<c>NoResult</c>); <c>Success()</c> is ignored, since it would skip the check that failed.
    /// </summary>
    public Func<DPoPAuthenticationFailedContext, Task> OnAuthenticationFailed { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised before the 401 challenge (problem document and <c>WWW-Authenticate</c>) is written.</summary>
    public Func<DPoPChallengeContext, Task> OnChallenge { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised before the 403 problem document is written.</summary>
    public Func<DPoPForbiddenContext, Task> OnForbidden { get; set; } = context => Task.CompletedTask;

    // The defaults of the three events raised on every accepted request: while an application leaves one as it is, the
    // handler skips making its context (issue 14: no per-request work nobody observes). A subclass may override the
    // virtual methods, so only the DPoPEvents type itself can be known to do nothing.
    private static readonly Func<DPoPMessageReceivedContext, Task> NoMessageReceived = static _ => Task.CompletedTask;
    private static readonly Func<DPoPTokenValidatedContext, Task> NoTokenValidated = static _ => Task.CompletedTask;
    private static readonly Func<DPoPProofValidatedContext, Task> NoProofValidated = static _ => Task.CompletedTask;

    internal bool ObservesMessageReceived => GetType() != typeof(DPoPEvents) || !ReferenceEquals(OnMessageReceived, NoMessageReceived);

    internal bool ObservesTokenValidated => GetType() != typeof(DPoPEvents) || !ReferenceEquals(OnTokenValidated, NoTokenValidated);

    internal bool ObservesProofValidated => GetType() != typeof(DPoPEvents) || !ReferenceEquals(OnProofValidated, NoProofValidated);

    /// <summary>Invokes <see cref="OnMessageReceived"/>.</summary>
    /// <param name="context">The context.</param>
    public virtual Task MessageReceived(DPoPMessageReceivedContext context) => OnMessageReceived(context);

    /// <summary>Invokes <see cref="OnTokenValidated"/>.</summary>
    /// <param name="context">The context.</param>
    public virtual Task TokenValidated(DPoPTokenValidatedContext context) => OnTokenValidated(context);

    /// <summary>Invokes <see cref="OnProofValidated"/>.</summary>
    /// <param name="context">The context.</param>
    public virtual Task ProofValidated(DPoPProofValidatedContext context) => OnProofValidated(context);

    /// <summary>Invokes <see cref="OnAuthenticationFailed"/>.</summary>
    /// <param name="context">The context.</param>
    public virtual Task AuthenticationFailed(DPoPAuthenticationFailedContext context) => OnAuthenticationFailed(context);

    /// <summary>Invokes <see cref="OnChallenge"/>.</summary>
    /// <param name="context">The context.</param>
    public virtual Task Challenge(DPoPChallengeContext context) => OnChallenge(context);

    /// <summary>Invokes <see cref="OnForbidden"/>.</summary>
    /// <param name="context">The context.</param>
    public virtual Task Forbidden(DPoPForbiddenContext context) => OnForbidden(context);
}
