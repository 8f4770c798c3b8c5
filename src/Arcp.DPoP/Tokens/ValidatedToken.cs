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
    /// <summary>Whether this request's copy came from the validated-token cache (for the trace).</summary>
    public bool FromCache { get; init; }
}
