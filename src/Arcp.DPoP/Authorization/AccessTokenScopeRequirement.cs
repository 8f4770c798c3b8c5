using Microsoft.AspNetCore.Authorization;

namespace Arcp.DPoP;

/// <summary>
/// Met when the access token grants every one of <see cref="Scopes"/>, read from both forms issuers use: <c>scope</c>,
/// a space-separated string (RFC 9068 §2.2.3, RFC 8693 §4.2), and <c>scopes</c>, a JSON array (ARCP). The requirement
/// is its own handler, so no service registration is needed.
/// </summary>
internal sealed class AccessTokenScopeRequirement : AuthorizationHandler<AccessTokenScopeRequirement>, IAuthorizationRequirement
{
    public AccessTokenScopeRequirement(IReadOnlyList<string> scopes)
    {
        Scopes = scopes;
    }

    public IReadOnlyList<string> Scopes { get; }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessTokenScopeRequirement requirement)
    {
        var granted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in context.User.Claims)
        {
            if (claim.Type == "scope")
            {
                granted.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
            else if (claim.Type == "scopes")
            {
                // A JSON array arrives as one claim per element; a string (some issuers) as one claim.
                granted.Add(claim.Value);
            }
        }

        if (requirement.Scopes.All(granted.Contains))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    public override string ToString() => "AccessTokenScopeRequirement: the token grants " + string.Join(" and ", Scopes);
}
