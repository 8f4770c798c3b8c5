using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Arcp.DPoP.OpenApi;

/// <summary>
/// Declares the DPoP security scheme in the document, and on every operation whose endpoint requires the DPoP
/// authentication scheme: the security requirement, the required <c>DPoP</c> proof header, and the 401 and 403
/// answers the handler gives, RFC 9457 problem documents (<c>application/problem+json</c>) with ARCP problem types.
/// </summary>
internal sealed class DPoPOpenApiTransformer : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    private readonly string _scheme;

    public DPoPOpenApiTransformer(string scheme)
    {
        _scheme = scheme;
    }

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[_scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = DPoPDefaults.AuthorizationScheme,
            BearerFormat = "JWT",
            Description = "A DPoP-bound access token (RFC 9449 §7.1: 'Authorization: DPoP <token>'), sent with a fresh " +
                "DPoP proof in the 'DPoP' header on every request. Refusals are RFC 9457 problem documents with ARCP types.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas.TryAdd(DPoPProblemResponses.SchemaName, DPoPProblemResponses.Schema());
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (!RequiresDPoP(context.Description.ActionDescriptor.EndpointMetadata))
        {
            return Task.CompletedTask;
        }

        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(_scheme, context.Document)] = [],
        });
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = DPoPDefaults.ProofHeaderName,
            In = ParameterLocation.Header,
            Required = true,
            Description = "A DPoP proof JWT (RFC 9449 §4.2) signed with the key the access token is bound to, made for this method and URL, used once.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        });

        // What the handler answers when it refuses (an operation's own declaration of the status wins).
        operation.Responses ??= [];
        operation.Responses.TryAdd("401", DPoPProblemResponses.Unauthorized(context.Document));
        operation.Responses.TryAdd("403", DPoPProblemResponses.Forbidden(context.Document));
        return Task.CompletedTask;
    }

    private bool RequiresDPoP(IList<object> metadata)
    {
        if (metadata.OfType<IAllowAnonymous>().Any())
        {
            return false;
        }

        foreach (var authorize in metadata.OfType<IAuthorizeData>())
        {
            string? schemes = authorize.AuthenticationSchemes;
            if (schemes is not null && schemes.Split(',', StringSplitOptions.TrimEntries).Contains(_scheme, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
