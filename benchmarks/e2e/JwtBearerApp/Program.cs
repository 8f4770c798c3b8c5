using System.Security.Cryptography;
using JwtBearerApp;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

// The JwtBearer baseline of benchmarks/e2e: the sample API's POST /agents/register (an MVC controller answering the
// same record) behind plain JwtBearer, trusting the same ES256 issuer as the sample started by the benchmark
// (Issuer:KeyFile, the PEM file the sample reads as DevelopmentIssuer:KeyFile). Nothing else on the request path.
var builder = WebApplication.CreateBuilder(args);
string keyFile = builder.Configuration["Issuer:KeyFile"]
    ?? throw new InvalidOperationException("Set Issuer:KeyFile to the issuer's PEM key (benchmarks/e2e/run.sh does).");
var key = ECDsa.Create();
key.ImportFromPem(File.ReadAllText(keyFile));
var signingKey = new ECDsaSecurityKey(ECDsa.Create(key.ExportParameters(includePrivateParameters: false)));
signingKey.KeyId = Base64UrlEncoder.Encode(signingKey.ComputeJwkThumbprint()); // as the sample's issuer names it
key.Dispose();

builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
{
    options.MapInboundClaims = false; // as the DPoP handler: claims keep their JWT names
    options.TokenValidationParameters.ValidIssuer = builder.Configuration["Issuer:Name"] ?? "https://dev-issuer.arcp-dpop.invalid";
    options.TokenValidationParameters.ValidAudience = builder.Configuration["Issuer:Audience"] ?? "arcp-api";
    options.TokenValidationParameters.IssuerSigningKey = signingKey;
});
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddAuthorization();
builder.Services.AddControllers();

var app = builder.Build();
app.UseAuthentication();
if (app.Configuration.GetValue<bool>("Bound:ProofSignature"))
{
    app.Use(ProofSignatureOnly.InvokeAsync); // run.sh's "bound": plus one proof signature verification per request
}

app.UseAuthorization();
app.MapControllers();
app.MapGet("/", () => Results.Ok(new { service = "JwtBearer baseline" }));
app.Run();
