using Arcp.DPoP;
using Microsoft.OpenApi;

namespace Arcp.DPoP.OpenApi;

/// <summary>
/// The 401 and 403 answers of a DPoP-protected operation, as OpenAPI responses: RFC 9457 problem documents
/// (<c>application/problem+json</c>) whose <c>type</c> is an ARCP problem type, with the RFC 9449 §7.1 challenge.
/// </summary>
internal static class DPoPProblemResponses
{
    /// <summary>The component schema's name: the RFC 9457 §3.1 members.</summary>
    public const string SchemaName = "DPoPProblemDetails";

    private const string ProblemContentType = "application/problem+json";

    public static OpenApiSchema Schema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem document. 'type' is an ARCP problem type under " + DPoPDefaults.ProblemTypeBaseUri +
            " (e.g. dpop-required, dpop-invalid, dpop-binding-mismatch, dpop-replay, token-expired); 'detail' says which check failed.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "The problem type (RFC 9457 §3.1.1)." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary of the problem type, e.g. 'DPoP Key Mismatch'." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What failed in this request, in words a client developer can act on." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference", Description = "This occurrence of the problem." },
        },
    };

    public static OpenApiResponse Unauthorized(OpenApiDocument? document) => new()
    {
        Description = "No valid DPoP-bound token and proof (RFC 9449 §7.1): the problem names the check that failed. " +
            "A 'use_dpop_nonce' error asks the client to retry with the DPoP-Nonce header's value in its proof (§8).",
        Content = Problem(document),
        Headers = new Dictionary<string, IOpenApiHeader>
        {
            ["WWW-Authenticate"] = new OpenApiHeader
            {
                Description = "The DPoP challenge: DPoP error=\"...\", error_description=\"...\", algs=\"...\" (RFC 9449 §7.1).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            },
            [DPoPDefaults.NonceHeaderName] = new OpenApiHeader
            {
                Description = "A nonce to put in the next proof's 'nonce' claim, when the server requires nonces (RFC 9449 §8).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            },
        },
    };

    public static OpenApiResponse Forbidden(OpenApiDocument? document) => new()
    {
        Description = "The token and proof are valid but the operation's authorization refused them " +
            "(a role, a policy, a scope the token does not have).",
        Content = Problem(document),
    };

    private static Dictionary<string, OpenApiMediaType> Problem(OpenApiDocument? document) => new()
    {
        [ProblemContentType] = new OpenApiMediaType { Schema = new OpenApiSchemaReference(SchemaName, document) },
    };
}
