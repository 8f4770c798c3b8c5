using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.SampleApi;

/// <summary>
/// DEVELOPMENT ONLY. <c>POST /dev/token</c>: validates the DPoP proof sent to it (RFC 9449 §4.3, with the same
/// validator the API uses) and returns an access token bound to the proof's key (<c>cnf.jkt</c>), like a real
/// authorization server's token endpoint (RFC 9449 §5). Form field <c>agent_id</c> names the agent.
/// </summary>
public static partial class DevelopmentTokenEndpoint
{
    /// <summary>Where the endpoint is: the one place the sample names it (the root document and the try-it page read it from here).</summary>
    public const string Path = "/dev/token";

    /// <summary>How long development tokens live.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Maps the endpoint.</summary>
    /// <param name="app">The application.</param>
    public static IEndpointConventionBuilder MapDevelopmentTokenEndpoint(this IEndpointRouteBuilder app)
    {
        return app.MapPost(Path, IssueAsync).DisableAntiforgery().WithName("DevelopmentToken");
    }

    private static async Task<IResult> IssueAsync(
        HttpContext context,
        DevelopmentTokenIssuer issuer,
        IOptionsMonitor<DPoPOptions> optionsMonitor,
        IDPoPReplayCache replayCache)
    {
        var options = optionsMonitor.Get(DPoPDefaults.AuthenticationScheme);
        var request = context.Request;
        var proofs = request.Headers[DPoPDefaults.ProofHeaderName];
        if (proofs.Count != 1 || string.IsNullOrEmpty(proofs[0]))
        {
            return TokenError("invalid_dpop_proof", "Send exactly one DPoP proof in the DPoP header; the token will be bound to its key.");
        }

        // The same htu rules as the API (PublicOrigin behind a proxy); no access token yet, so no ath.
        var result = new DPoPProofValidator(options).Validate(proofs[0]!, request, accessToken: null);
        if (!result.IsValid)
        {
            return TokenError("invalid_dpop_proof", result.Failure.Detail);
        }

        var proof = result.Proof;
        var expiresAt = proof.IssuedAt + options.ProofLifetime + options.ClockSkew;
        if (!await replayCache.TryAddAsync("token-endpoint:" + proof.Jkt + "." + proof.Jti, expiresAt, context.RequestAborted))
        {
            return TokenError("invalid_dpop_proof", "This DPoP proof was already used; make a new one.");
        }

        string? agentId = request.HasFormContentType ? (await request.ReadFormAsync(context.RequestAborted))["agent_id"].ToString() : null;
        if (string.IsNullOrEmpty(agentId))
        {
            agentId = "agent-" + proof.Jkt[..8];
        }
        else if (!AgentIdPattern().IsMatch(agentId))
        {
            return TokenError("invalid_request", "agent_id must be 1 to 64 letters, digits, '-', '_' or '.'.");
        }

        string audience = options.Audience ?? options.TokenValidationParameters.ValidAudience ?? "arcp-api";
        string token = issuer.CreateToken(agentId, audience, proof.Jkt, TokenLifetime, scopes: "agents:register");
        return Results.Json(new TokenResponse(token, "DPoP", (int)TokenLifetime.TotalSeconds), statusCode: StatusCodes.Status200OK);
    }

    // RFC 6749 §5.2 error response, as RFC 9449 §5 uses it for proof errors at the token endpoint.
    private static IResult TokenError(string error, string description) =>
        Results.Json(new TokenErrorResponse(error, description), statusCode: StatusCodes.Status400BadRequest);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex AgentIdPattern();

    private sealed record TokenResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
        [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
        [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn);

    private sealed record TokenErrorResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
        [property: System.Text.Json.Serialization.JsonPropertyName("error_description")] string ErrorDescription);
}
