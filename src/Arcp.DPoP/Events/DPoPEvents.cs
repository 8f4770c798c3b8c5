namespace Arcp.DPoP;

/// <summary>
/// The decisions of the DPoP handler, each open to observation or override (as JwtBearerEvents are).
/// </summary>
public class DPoPEvents
{
    /// <summary>Raised first: may supply the token and proof from elsewhere, or decide the result.</summary>
    public Func<DPoPMessageReceivedContext, Task> OnMessageReceived { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised when the access token has been validated, before the proof is checked against it.</summary>
    public Func<DPoPTokenValidatedContext, Task> OnTokenValidated { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised when the proof, its binding to the token and its first use have all been checked.</summary>
    public Func<DPoPProofValidatedContext, Task> OnProofValidated { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised when a request is refused, with the failure that says why.</summary>
    public Func<DPoPAuthenticationFailedContext, Task> OnAuthenticationFailed { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised before the 401 challenge (problem document and <c>WWW-Authenticate</c>) is written.</summary>
    public Func<DPoPChallengeContext, Task> OnChallenge { get; set; } = context => Task.CompletedTask;

    /// <summary>Raised before the 403 problem document is written.</summary>
    public Func<DPoPForbiddenContext, Task> OnForbidden { get; set; } = context => Task.CompletedTask;

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
