using Arcp.DPoP;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.DataProtection;
using OpenTelemetry.Metrics;
using StackExchange.Redis;

namespace Arcp.DPoP.SampleApi;

/// <summary>
/// Builds the sample API: <c>AddDPoP()</c> bound from configuration, the agents endpoints, and — in Development, when no
/// issuer is configured — the development token issuer. Program.cs runs it; the sample agent hosts it in-process.
/// </summary>
public static class SampleApiApp
{
    /// <summary>Builds the application.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Authentication:Schemes:DPoP:...</c>).</param>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Three ways to trust an issuer, from configuration alone: Authority (OpenID Connect metadata), MetadataAddress
        // (e.g. ARCP's /.well-known/arcp-configuration), SigningKeys (shared secrets, e.g. ARCP with JWKS_ENABLED=false).
        // With none of them, and only in Development (a fresh clone), the sample issues its own development tokens;
        // anywhere else it refuses to start, naming the settings.
        var dpopSection = builder.Configuration.GetSection("Authentication:Schemes:DPoP");
        bool issuerConfigured = !string.IsNullOrEmpty(dpopSection["Authority"]) || !string.IsNullOrEmpty(dpopSection["MetadataAddress"]) ||
            dpopSection.GetSection("SigningKeys").GetChildren().Any();
        bool useDevelopmentIssuer = !issuerConfigured && builder.Environment.IsDevelopment();
        if (useDevelopmentIssuer)
        {
            string? keyFile = builder.Configuration["DevelopmentIssuer:KeyFile"];
            builder.Services.AddSingleton(sp => string.IsNullOrEmpty(keyFile)
                ? new DevelopmentTokenIssuer(sp.GetRequiredService<TimeProvider>())
                : DevelopmentTokenIssuer.FromPemFile(keyFile, sp.GetRequiredService<TimeProvider>()));
        }

        var authentication = builder.Services.AddAuthentication()
            .AddDPoP(); // binds Authentication:Schemes:DPoP (Authority, Audience, Mode, ProofLifetime, RequireNonce...)

        // On a web farm: one Redis for the replay cache and for the Data Protection key ring that protects nonces.
        string? redisConfiguration = builder.Configuration.GetConnectionString("Redis");
        var health = builder.Services.AddHealthChecks();
        if (!string.IsNullOrEmpty(redisConfiguration))
        {
            var redisOptions = ConfigurationOptions.Parse(redisConfiguration);
            redisOptions.AbortOnConnectFail = false;         // start even while Redis is down; requests fail closed meanwhile
            redisOptions.BacklogPolicy = BacklogPolicy.FailFast;
            var redis = ConnectionMultiplexer.Connect(redisOptions);
            builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
            authentication.AddDPoPRedisReplayCache(o => o.KeyPrefix = "arcp-sample:dpop:jti:");
            health.AddDPoPReplayCacheHealthCheck(tags: ["ready"]);
            builder.Services.AddDataProtection()
                .SetApplicationName("Arcp.DPoP.SampleApi")
                .PersistKeysToStackExchangeRedis(() => redis.GetDatabase(), "arcp-sample:dataprotection-keys");
        }

        if (useDevelopmentIssuer)
        {
            builder.Services.AddOptions<DPoPOptions>(DPoPDefaults.AuthenticationScheme)
                .Configure<DevelopmentTokenIssuer>((options, issuer) =>
                {
                    options.TokenValidationParameters.ValidIssuer = DevelopmentTokenIssuer.Issuer;
                    options.TokenValidationParameters.IssuerSigningKey = issuer.SigningKey;
                });
        }

        // Telemetry:ConsoleExporter=true prints the Arcp.DPoP meter (accepted, rejected by problem type, duration).
        if (builder.Configuration.GetValue<bool>("Telemetry:ConsoleExporter"))
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(DPoPDefaults.MeterName)
                .AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000));
        }

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy("agents:admin", policy => policy
                .AddAuthenticationSchemes(DPoPDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAccessTokenScope("agents:admin")); // "scope": "agents:admin ..." (RFC 9068) or "scopes": ["agents:admin"] (ARCP)
        builder.Services.AddOpenApi(options => options.AddDPoPSecurityScheme());
        builder.Services.AddControllers().AddApplicationPart(typeof(SampleApiApp).Assembly); // also when hosted by another program

        var app = builder.Build();

        if (useDevelopmentIssuer)
        {
            SampleLog.DevelopmentIssuerEnabled(app.Logger);
        }
        else if (!issuerConfigured)
        {
            SampleLog.NoIssuerConfigured(app.Logger, app.Environment.EnvironmentName);
        }

        app.UseAuthentication();
        app.UseAuthorization();

        app.MapControllers();

        // The same protection on a minimal API endpoint.
        app.MapGet("/agents/me", (HttpContext context) => Results.Ok(new
        {
            agent_id = context.User.FindFirst("agent_id")?.Value ?? context.User.FindFirst("sub")?.Value,
            name = context.User.Identity?.Name, // the token's name, else its sub
            jkt = context.User.FindFirst(DPoPDefaults.JktClaimType)?.Value,
        }))
        .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = DPoPDefaults.AuthenticationScheme });

        app.MapHealthChecks("/health");
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi(); // /openapi/v1.json, with the DPoP security scheme on the endpoints that need it
        }

        app.MapGet("/", () => Results.Ok(new
        {
            service = "Arcp.DPoP sample API",
            token_endpoint = useDevelopmentIssuer ? DevelopmentTokenEndpoint.Path : null,
            try_it = useDevelopmentIssuer ? "/try-it/" : null,
        }));

        if (useDevelopmentIssuer)
        {
            app.MapDevelopmentTokenEndpoint();

            // /try-it/: an API explorer in the browser that gets a key, a token from the development issuer, and signs
            // a proof for every call (Arcp.DPoP.OpenApi; it maps nothing outside Development).
            app.MapDPoPTryIt(tokenEndpoint: DevelopmentTokenEndpoint.Path);
            SampleLog.TryItPage(app.Logger, "/try-it/");
        }

        return app;
    }
}
