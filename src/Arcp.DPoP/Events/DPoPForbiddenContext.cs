using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// The context of <see cref="DPoPEvents.OnForbidden"/>: the 403 response about to be written.
/// Call <see cref="HandleResponse"/> and write your own to replace it.
/// </summary>
public class DPoPForbiddenContext : PropertiesContext<DPoPOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="properties">The properties of the forbid call.</param>
    public DPoPForbiddenContext(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, AuthenticationProperties? properties)
        : base(context, scheme, options, properties)
    {
    }

    /// <summary>Whether the event wrote the response itself.</summary>
    public bool Handled { get; private set; }

    /// <summary>Skips the default response: the event has written its own.</summary>
    public void HandleResponse() => Handled = true;
}
