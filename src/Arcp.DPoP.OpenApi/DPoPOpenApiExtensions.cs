using Arcp.DPoP;
using Arcp.DPoP.OpenApi;

namespace Microsoft.AspNetCore.OpenApi;

/// <summary>Adds the DPoP security scheme to OpenAPI documents.</summary>
public static class DPoPOpenApiExtensions
{
    /// <summary>
    /// Declares the DPoP security scheme (HTTP scheme <c>DPoP</c>) and, on every endpoint that requires the DPoP
    /// authentication scheme (<c>[Authorize(AuthenticationSchemes = "DPoP")]</c> or <c>RequireAuthorization</c>), the
    /// security requirement and the required <c>DPoP</c> header: <c>builder.Services.AddOpenApi(o => o.AddDPoPSecurityScheme())</c>.
    /// </summary>
    /// <param name="options">The OpenAPI options.</param>
    /// <param name="authenticationScheme">The DPoP authentication scheme's name. Default <c>DPoP</c>.</param>
    public static OpenApiOptions AddDPoPSecurityScheme(this OpenApiOptions options, string authenticationScheme = DPoPDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(authenticationScheme);
        var transformer = new DPoPOpenApiTransformer(authenticationScheme);
        options.AddDocumentTransformer(transformer);
        options.AddOperationTransformer(transformer);
        return options;
    }
}
