using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// The context of <see cref="DPoPEvents.OnChallenge"/>: the 401 response about to be written. Change
/// <see cref="Error"/> or <see cref="ErrorDescription"/>, or call <see cref="HandleResponse"/> and write your own.
/// </summary>
public class DPoPChallengeContext : PropertiesContext<DPoPOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="properties">The challenge's properties.</param>
    public DPoPChallengeContext(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, AuthenticationProperties? properties)
        : base(context, scheme, options, properties)
    {
    }

    /// <summary>The exception that failed authentication, if any.</summary>
    public Exception? AuthenticateFailure { get; set; }

    /// <summary>The failure the problem document describes (<see cref="DPoPFailureCode.NoCredentials"/> when no token came).</summary>
    public DPoPFailure? Failure { get; set; }

    /// <summary>The <c>error</c> of <c>WWW-Authenticate</c> and of the problem document.</summary>
    public string? Error { get; set; }

    /// <summary>The <c>error_description</c> of <c>WWW-Authenticate</c>; the problem's <c>detail</c> is the failure's.</summary>
    public string? ErrorDescription { get; set; }

    /// <summary>Whether the event wrote the response itself.</summary>
    public bool Handled { get; private set; }

    /// <summary>Skips the default response: the event has written its own.</summary>
    public void HandleResponse() => Handled = true;
}
