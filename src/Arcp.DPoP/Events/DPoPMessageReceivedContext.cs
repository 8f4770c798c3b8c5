using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// The context of <see cref="DPoPEvents.OnMessageReceived"/>: set <see cref="Token"/> and <see cref="Proof"/> to
/// take them from somewhere other than the <c>Authorization</c> and <c>DPoP</c> headers.
/// </summary>
public class DPoPMessageReceivedContext : ResultContext<DPoPOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    public DPoPMessageReceivedContext(HttpContext context, AuthenticationScheme scheme, DPoPOptions options)
        : base(context, scheme, options)
    {
    }

    /// <summary>The access token to use instead of the <c>Authorization</c> header's; treated as a DPoP-scheme token.</summary>
    public string? Token { get; set; }

    /// <summary>The proof to use instead of the <c>DPoP</c> header's.</summary>
    public string? Proof { get; set; }
}
