using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>An access token that passed validation: its identity, the token, and its <c>cnf.jkt</c> (or why it has none).</summary>
internal sealed record ValidatedToken(ClaimsIdentity Identity, SecurityToken SecurityToken, string? Jkt, string? ConfirmationProblem);
