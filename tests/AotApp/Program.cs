using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Arcp.DPoP;
using Arcp.DPoP.Client;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

// A minimal API published with native AOT: the DPoP handler with the Redis replay cache, a token endpoint that binds
// tokens to the caller's proof key (RFC 9449 §5), and, with "self-test", the DPoP client calling this app with a token
// it got from that endpoint. .ci/run publishes it, runs it and sends one unauthenticated request (401 + problem).
const string Issuer = "https://aot-app.invalid";
const string Audience = "aot-app";
var signingKey = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32));

var builder = WebApplication.CreateSlimBuilder(args);
string selfUrl = builder.Configuration["urls"] ?? "http://127.0.0.1:5080";
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AotAppJson.Default));
builder.Services.AddAuthentication(DPoPDefaults.AuthenticationScheme)
    .AddDPoP(o =>
    {
        o.Audience = Audience;
        o.PublicOrigin = selfUrl; // outside Development htu's origin is the app's word, never the Host header's
        o.TokenValidationParameters.ValidIssuer = Issuer;
        o.TokenValidationParameters.IssuerSigningKey = signingKey;
    })
    .AddDPoPRedisReplayCache(o => o.Configuration = builder.Configuration["Redis"] ?? "127.0.0.1:6379");
builder.Services.AddAuthorization();
builder.Services.AddHttpClient("self", c => c.BaseAddress = new Uri(selfUrl))
    .AddDPoP(o =>
    {
        o.TokenEndpoint = new Uri(new Uri(selfUrl), "/token");
        o.ClientId = "aot-client";
        o.ClientSecret = "aot-secret";
    });

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/me", (HttpContext context) => new Me(context.User.FindFirst("sub")?.Value, context.User.FindFirst(DPoPDefaults.JktClaimType)?.Value))
    .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = DPoPDefaults.AuthenticationScheme });

// RFC 9728: /.well-known/oauth-protected-resource, and resource_metadata in every 401 challenge.
app.MapDPoPProtectedResourceMetadata();

// The token endpoint: checks the proof as the handler does (same replay cache: Redis), answers a token bound to its key.
app.MapPost("/token", async (HttpContext context, IDPoPTokenRequestValidator dpop) =>
{
    var result = await dpop.ValidateAsync(context);
    if (!result.Succeeded)
    {
        return result.ToProblemResult();
    }

    var now = DateTime.UtcNow;
    string token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        IssuedAt = now,
        NotBefore = now,
        Expires = now.AddMinutes(5),
        TokenType = "at+jwt",
        Claims = new Dictionary<string, object>
        {
            ["sub"] = "aot-client",
            ["cnf"] = new Dictionary<string, object> { ["jkt"] = result.Jkt },
        },
        SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.HmacSha256),
    });
    return Results.Json(new TokenResponse(token, "DPoP", 300), AotAppJson.Default.TokenResponse);
});

if (args.Contains("self-test"))
{
    await app.StartAsync();
    var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient("self");

    // The replay cache connects to Redis in the background once the app started; until then requests get 503
    // service-unavailable (fail closed). Wait for it as a client would, at most ten seconds.
    // The token endpoint records its proofs in the same replay cache, so it fails closed too (503 to the token request).
    for (int wait = 0; wait < 20; wait++)
    {
        try
        {
            using var probe = await client.GetAsync(new Uri("/me", UriKind.Relative));
            if (probe.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable)
            {
                break;
            }
        }
        catch (DPoPTokenRequestException ex) when (ex.Status == 503)
        {
        }

        await Task.Delay(500);
    }

    int failures = 0;
    for (int i = 0; i < 2; i++)
    {
        using var response = await client.GetAsync(new Uri("/me", UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        Console.WriteLine($"aot app: GET /me with a DPoP-bound token -> {(int)response.StatusCode} {body}");
        failures += response.IsSuccessStatusCode && body.Contains("aot-client", StringComparison.Ordinal) ? 0 : 1;
    }

    await app.StopAsync();
    return failures == 0 ? 0 : 1;
}

await app.RunAsync();
return 0;

internal sealed record Me([property: JsonPropertyName("sub")] string? Sub, [property: JsonPropertyName("jkt")] string? Jkt);

internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

[JsonSerializable(typeof(Me))]
[JsonSerializable(typeof(TokenResponse))]
internal sealed partial class AotAppJson : JsonSerializerContext;
