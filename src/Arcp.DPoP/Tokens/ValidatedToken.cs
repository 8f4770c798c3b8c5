using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// An access token that passed validation: its identity, the token, and its <c>cnf.jkt</c>. A token with no
/// <c>cnf</c> at all has neither <see cref="Jkt"/> nor <see cref="ConfirmationFailure"/>; a <c>cnf</c> this API cannot
/// check has <see cref="ConfirmationFailure"/>, and is refused in every mode.
/// </summary>
internal sealed record ValidatedToken(ClaimsIdentity Identity, SecurityToken SecurityToken, string? Jkt, DPoPFailure? ConfirmationFailure)
{
    /// <summary>
    /// Whether this is the validated-token cache's instance, shared by every request with the token: its
    /// <see cref="Identity"/> is then never handed out, only copies of it (<see cref="RequestIdentity"/>).
    /// </summary>
    public bool FromCache { get; init; }

    /// <summary>The identity for this request: a copy of a cached one, so no request's events change another's.</summary>
    public ClaimsIdentity RequestIdentity() => FromCache ? Identity.Clone() : Identity;
}
