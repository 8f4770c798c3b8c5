using Arcp.DPoP;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the OAuth 2.0 Protected Resource Metadata document (RFC 9728) of a DPoP scheme.</summary>
public static class DPoPResourceMetadataEndpointExtensions
{
    /// <summary>
    /// Serves the scheme's protected resource metadata (RFC 9728) at <c>/.well-known/oauth-protected-resource</c>, or
    /// for a resource identifier with a path at the path-suffixed URL (<c>/.well-known/oauth-protected-resource/mcp</c>,
    /// RFC 9728 §3.1), and makes every 401 challenge of the scheme point to it (<c>resource_metadata</c>, RFC 9728 §5.1).
    /// The document says <c>resource</c>, <c>authorization_servers</c>, <c>dpop_signing_alg_values_supported</c>,
    /// <c>dpop_bound_access_tokens_required</c>, <c>bearer_methods_supported</c> and, when configured,
    /// <c>scopes_supported</c>, <c>resource_name</c> and <c>resource_documentation</c>
    /// (<see cref="DPoPOptions.ResourceMetadata"/>).
    /// </summary>
    /// <remarks>
    /// Map it at the application's root (not in a route group): the URL is fixed by RFC 9728. Mapping a second scheme
    /// adds its document to the same endpoint; a request is answered with the first mapped scheme whose resource
    /// identifier's URL it is. The endpoint allows anonymous access: the document is public by design.
    /// </remarks>
    /// <param name="endpoints">The application.</param>
    /// <param name="authenticationScheme">The DPoP scheme the document describes. Default <see cref="DPoPDefaults.AuthenticationScheme"/>.</param>
    /// <returns>The endpoint's convention builder, to chain conventions (e.g. rate limiting, CORS).</returns>
    public static IEndpointConventionBuilder MapDPoPProtectedResourceMetadata(this IEndpointRouteBuilder endpoints, string authenticationScheme = DPoPDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(authenticationScheme);
        var registry = endpoints.ServiceProvider.GetService<ProtectedResourceMetadataEndpoint>()
            ?? throw new InvalidOperationException("MapDPoPProtectedResourceMetadata needs the DPoP scheme: call services.AddAuthentication().AddDPoP() first.");
        // A name that is not a DPoP scheme would serve a document of default options: refuse it at startup. The scheme
        // provider answers from memory (its tasks are complete), so this does not block.
        var scheme = endpoints.ServiceProvider.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(authenticationScheme).GetAwaiter().GetResult();
        if (scheme is null || !typeof(DPoPHandler).IsAssignableFrom(scheme.HandlerType))
        {
            throw new InvalidOperationException($"MapDPoPProtectedResourceMetadata: '{authenticationScheme}' is not a DPoP authentication scheme; add it with AddDPoP(\"{authenticationScheme}\", ...) or name the DPoP scheme to describe.");
        }

        registry.Add(authenticationScheme);
        if (registry.Builder is { } mapped)
        {
            return mapped;
        }

        // A RequestDelegate, not a lambda with parameters: no Request Delegate Factory reflection (trimming/AOT safe).
        // The catch-all also matches the bare well-known path; the endpoint answers 404 for a suffix no scheme has.
        var builder = endpoints.Map(ProtectedResource.WellKnownPath + "/{**resource}", registry.ServeAsync)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .WithDisplayName("DPoP protected resource metadata (RFC 9728)")
            .AllowAnonymous();
        registry.Builder = builder;
        return builder;
    }
}
