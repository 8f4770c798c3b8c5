using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// The context of <see cref="DPoPEvents.OnTokenValidated"/>: the access token passed validation; its proof has not
/// been checked against it yet. Call <see cref="ResultContext{TOptions}.Fail(string)"/> to refuse it.
/// </summary>
public class DPoPTokenValidatedContext : ResultContext<DPoPOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="securityToken">The validated access token.</param>
    /// <param name="jkt">The token's <c>cnf.jkt</c>, or <see langword="null"/> for an unbound token.</param>
    public DPoPTokenValidatedContext(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, SecurityToken securityToken, string? jkt)
        : base(context, scheme, options)
    {
        SecurityToken = securityToken;
        Jkt = jkt;
    }

    /// <summary>The validated access token.</summary>
    public SecurityToken SecurityToken { get; }

    /// <summary>The token's <c>cnf.jkt</c>, or <see langword="null"/> for an unbound token.</summary>
    public string? Jkt { get; }
}
