using Arcp.DPoP;
using Arcp.DPoP.Client;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;

// Uses each package's public API as a user would, then checks a client proof against the server validator.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAuthentication()
    .AddDPoP(o =>
    {
        o.Audience = "arcp-api";
        o.PublicOrigin = "https://api.example.com"; // outside Development the htu's origin is the application's word, not the Host header's
        o.TokenValidationParameters.IssuerSigningKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]);
    })
    .AddDPoPRedisReplayCache(o => o.Configuration = "127.0.0.1:6379");
builder.Services.AddOpenApi(o => o.AddDPoPSecurityScheme());
builder.Services.AddSingleton(new DPoPSession());
builder.Services.AddHttpClient("arcp").AddDPoP();
await using var app = builder.Build();

var options = app.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
var uri = new Uri("https://api.example.com/agents/register");
var thumbprints = new List<string>();

// ES256 (the platform's ECDSA) and EdDSA (Ed25519 through NSec, whose native libsodium must come with the packages).
foreach (string algorithm in new[] { "ES256", "EdDSA" })
{
    using var key = DPoPKey.Generate(algorithm);
    string proof = new DPoPProofFactory().CreateProof(key, "POST", uri);
    var result = new DPoPProofValidator(options).Validate(proof, "POST", uri.ToString());
    if (!result.IsValid || result.Proof.Jkt != key.Thumbprint || JwkThumbprint.Compute(key.PublicJwk) != key.Thumbprint)
    {
        Console.Error.WriteLine($"package consumer: the client's {algorithm} proof did not pass the server's validator: " + result.Failure);
        return 1;
    }

    thumbprints.Add($"{algorithm} jkt {key.Thumbprint}");
}

// The try-it page ships inside Arcp.DPoP.OpenApi (served from the assembly; this app is not in Development, so it maps nothing).
app.MapDPoPTryIt(tokenEndpoint: "/token");
string[] pageResources = typeof(DPoPOpenApiExtensions).Assembly.GetManifestResourceNames();
foreach (string file in new[] { "index.html", "try-it.js", "try-it.css" })
{
    if (!pageResources.Contains("Arcp.DPoP.OpenApi.TryIt." + file))
    {
        Console.Error.WriteLine($"package consumer: the try-it page's {file} is missing from the Arcp.DPoP.OpenApi package.");
        return 1;
    }
}

Console.WriteLine($"package consumer: Arcp.DPoP, Arcp.DPoP.StackExchangeRedis, Arcp.DPoP.Client and Arcp.DPoP.OpenApi work together ({string.Join(", ", thumbprints)}).");
return 0;
