using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// The context of <see cref="DPoPEvents.OnProofValidated"/>: the proof passed every check, its key matches the
/// token's <c>cnf.jkt</c> and its <c>jti</c> was recorded. Call <see cref="ResultContext{TOptions}.Fail(string)"/> to refuse it anyway.
/// </summary>
public class DPoPProofValidatedContext : ResultContext<DPoPOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="proof">The validated proof.</param>
    /// <param name="securityToken">The access token it was presented with.</param>
    public DPoPProofValidatedContext(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, DPoPProof proof, SecurityToken securityToken)
        : base(context, scheme, options)
    {
        Proof = proof;
        SecurityToken = securityToken;
    }

    /// <summary>The validated proof.</summary>
    public DPoPProof Proof { get; }

    /// <summary>The access token the proof was presented with.</summary>
    public SecurityToken SecurityToken { get; }
}
