using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Step 4's claims identity: what <see cref="JsonWebTokenHandler"/> builds for a validated token (its
/// <c>TokenValidationResult.ClaimsIdentity</c>), built without its waste (issue 14). Microsoft.IdentityModel reads each
/// payload claim into a <see cref="Claim"/> (<see cref="JsonWebToken.Claims"/>), then copies it into the identity and
/// reads the first one's <see cref="Claim.Properties"/>, which makes a dictionary per claim; here the copy is made
/// without reading them (they are always empty there), and without the result's lock.
/// </summary>
/// <remarks>
/// Same identity, claim for claim: the identity comes from the parameters' own
/// <see cref="TokenValidationParameters.CreateClaimsIdentity"/> (authentication, name and role claim types), each claim
/// has the token's type, value and value type, the validated issuer as issuer and original issuer, and the identity as
/// subject. Only for the plain handler without claim mapping and for tokens without an actor claim: anything else
/// (a <see cref="JsonWebTokenHandler"/> subclass, <c>MapInboundClaims</c>, a nested actor token) is left to
/// Microsoft.IdentityModel.
/// </remarks>
internal static class TokenClaimsIdentity
{
    // The claim type Microsoft.IdentityModel reads as a nested actor token (ClaimTypes.Actor).
    private const string ActorClaimType = ClaimTypes.Actor;

    /// <summary>Whether the identity of this handler's results may be built here rather than by the handler.</summary>
    public static bool CanBuild(TokenHandler handler) =>
        handler.GetType() == typeof(JsonWebTokenHandler) && !((JsonWebTokenHandler)handler).MapInboundClaims;

    /// <summary>The identity of a valid result, as its handler would make it.</summary>
    public static ClaimsIdentity Create(TokenValidationResult result, TokenValidationParameters parameters)
    {
        // The result makes no identity without an issuer: neither does this.
        if (result.SecurityToken is not JsonWebToken jwt || result.Issuer is not { } validatedIssuer)
        {
            return result.ClaimsIdentity;
        }

        // As JsonWebTokenHandler.CreateClaimsIdentity: a blank validated issuer is replaced by the token's, else LOCAL AUTHORITY.
        string issuer = !string.IsNullOrWhiteSpace(validatedIssuer) ? validatedIssuer
            : !string.IsNullOrWhiteSpace(jwt.Issuer) ? jwt.Issuer : ClaimsIdentity.DefaultIssuer;

        var identity = parameters.CreateClaimsIdentity(jwt, issuer);
        var claims = jwt.Claims;
        if (claims is IList<Claim> list)
        {
            // JsonWebToken's claims are a list: indexed, so no enumerator is boxed.
            for (int i = 0; i < list.Count; i++)
            {
                if (!TryAdd(identity, list[i], issuer))
                {
                    return result.ClaimsIdentity;
                }
            }
        }
        else
        {
            foreach (var claim in claims)
            {
                if (!TryAdd(identity, claim, issuer))
                {
                    return result.ClaimsIdentity;
                }
            }
        }

        return identity;
    }

    // False for a nested actor token, which is left to Microsoft.IdentityModel's own reading.
    private static bool TryAdd(ClaimsIdentity identity, Claim claim, string issuer)
    {
        if (string.Equals(claim.Type, ActorClaimType, StringComparison.Ordinal))
        {
            return false;
        }

        identity.AddClaim(new Claim(claim.Type, claim.Value, claim.ValueType, issuer, issuer, identity));
        return true;
    }
}
