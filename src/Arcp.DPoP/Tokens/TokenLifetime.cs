using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Access token lifetime checks (<c>nbf</c>, <c>exp</c>) on the scheme's <see cref="TimeProvider"/>, the clock the
/// proof checks use, with the token validation parameters' own clock skew. Microsoft.IdentityModel's built-in
/// check reads the system clock.
/// </summary>
internal static class TokenLifetime
{
    public static LifetimeValidator Validator(DPoPOptions options) => (notBefore, expires, _, parameters) =>
    {
        if (!parameters.ValidateLifetime)
        {
            return true;
        }

        if (expires is null && parameters.RequireExpirationTime)
        {
            throw new SecurityTokenNoExpirationException("The access token has no expiration time.");
        }

        if (notBefore is not null && expires is not null && notBefore > expires)
        {
            throw new SecurityTokenInvalidLifetimeException("The access token's nbf is after its exp.") { NotBefore = notBefore, Expires = expires };
        }

        var now = options.Clock.GetUtcNow().UtcDateTime;
        if (notBefore is not null && notBefore.Value > now + parameters.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("The access token is not yet valid.") { NotBefore = notBefore.Value };
        }

        if (expires is not null && expires.Value < now - parameters.ClockSkew)
        {
            throw new SecurityTokenExpiredException("The access token has expired.") { Expires = expires.Value };
        }

        return true;
    };
}
