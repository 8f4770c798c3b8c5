using Arcp.DPoP;

namespace Microsoft.AspNetCore.Authorization;

/// <summary>Scope requirements for access-token policies.</summary>
public static class AccessTokenScopePolicyExtensions
{
    /// <summary>
    /// Requires the access token to grant every one of <paramref name="scopes"/>, whether the issuer writes them as
    /// <c>scope</c> (a space-separated string, RFC 9068) or as <c>scopes</c> (a JSON array, as ARCP does).
    /// </summary>
    /// <param name="builder">The policy builder.</param>
    /// <param name="scopes">The scopes, all required.</param>
    /// <returns>The builder.</returns>
    public static AuthorizationPolicyBuilder RequireAccessTokenScope(this AuthorizationPolicyBuilder builder, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(scopes);
        if (scopes.Length == 0 || scopes.Any(s => string.IsNullOrWhiteSpace(s) || s.Contains(' ', StringComparison.Ordinal)))
        {
            throw new ArgumentException("Name at least one scope; a scope is one word without spaces.", nameof(scopes));
        }

        return builder.AddRequirements(new AccessTokenScopeRequirement([.. scopes]));
    }
}
