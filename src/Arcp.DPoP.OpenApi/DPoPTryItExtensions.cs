using Arcp.DPoP.OpenApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the DPoP "try it" page: an API explorer that signs a fresh DPoP proof for every request, in the browser.</summary>
public static class DPoPTryItExtensions
{
    /// <summary>
    /// DEVELOPMENT ONLY. Serves, under <paramref name="pattern"/>, a page that lists the operations of the app's OpenAPI
    /// document and calls them from the browser with a DPoP-bound token: it makes a non-extractable key with WebCrypto
    /// (ES256, or EdDSA where the browser has Ed25519), gets a token for that key from <paramref name="tokenEndpoint"/>
    /// (RFC 9449 §5), and signs a fresh proof for every request (htm, htu, iat, jti, ath, the server's nonce). The page
    /// talks to its own origin only (its Content-Security-Policy says so). Outside the Development environment it maps
    /// nothing: the page is never served there.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="tokenEndpoint">The path of a token endpoint on this app that issues a DPoP-bound token for the
    /// proof it gets (a development issuer), e.g. <c>/dev-issuer/token</c>; the page reads it from <c>{pattern}/config.json</c>.</param>
    /// <param name="pattern">Where the page is served. Default <c>/try-it</c>.</param>
    /// <param name="openApiDocument">The path of the OpenAPI document (JSON). Default <c>/openapi/v1.json</c>, where <c>MapOpenApi()</c> serves it.</param>
    /// <returns>A builder for conventions on the page's endpoints (empty outside Development).</returns>
    public static IEndpointConventionBuilder MapDPoPTryIt(
        this IEndpointRouteBuilder endpoints,
        string tokenEndpoint,
        string pattern = "/try-it",
        string openApiDocument = "/openapi/v1.json")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        DPoPTryItPage.RequireLocalPath(tokenEndpoint, nameof(tokenEndpoint));
        DPoPTryItPage.RequireLocalPath(pattern, nameof(pattern));
        DPoPTryItPage.RequireLocalPath(openApiDocument, nameof(openApiDocument));

        var group = endpoints.MapGroup(pattern);
        var environment = endpoints.ServiceProvider.GetService<IHostEnvironment>();
        if (environment is null || !environment.IsDevelopment())
        {
            return group; // by construction: nothing is mapped, the page answers 404 like any unknown path
        }

        new DPoPTryItPage(tokenEndpoint, openApiDocument).Map(group);
        group.ExcludeFromDescription(); // the page is not part of the API it explores
        group.AllowAnonymous();         // static files; every call it makes is authenticated by the API itself
        return group;
    }
}
