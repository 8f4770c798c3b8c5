using Arcp.DPoP;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.DataProtection;
using OpenTelemetry.Metrics;
using StackExchange.Redis;

namespace Arcp.DPoP.SampleApi;

/// <summary>
/// Builds the sample API: <c>AddDPoP()</c> bound from configuration, the agents endpoints, and — in Development, when no
/// issuer is configured — the development issuer. Program.cs runs it; the sample agent hosts it in-process.
/// </summary>
public static class SampleApiApp
{
    /// <summary>The development issuer's token endpoint (<c>AddDevelopmentIssuer()</c>'s default path): the one place the sample names it.</summary>
    public const string DevelopmentTokenPath = "/dev-issuer/token";

    /// <summary>Builds the application.</summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Authentication:Schemes:DPoP:...</c>).</param>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);

        // Three ways to trust an issuer, from configuration alone: Authority (OpenID Connect metadata), MetadataAddress
        // (e.g. ARCP's /.well-known/arcp-configuration), SigningKeys (shared secrets, e.g. ARCP with JWKS_ENABLED=false).
        // With none of them, in Development (a fresh clone), the development issuer in Arcp.DPoP issues the tokens
        // (POST /dev-issuer/token); anywhere else it serves nothing and, with no issuer configured, the app refuses to start.
        var authentication = builder.Services.AddAuthentication()
            .AddDPoP(options => // binds Authentication:Schemes:DPoP (Authority, Audience, Mode, ProofLifetime, RequireNonce...) first
            {
                // What the RFC 9728 document says beyond the scheme's own facts, unless configuration
                // (Authentication:Schemes:DPoP:ResourceMetadata:ResourceName, :ScopesSupported...) says otherwise.
                options.ResourceMetadata.ResourceName ??= "Arcp.DPoP sample API";
                if (options.ResourceMetadata.ScopesSupported.Count == 0)
                {
                    options.ResourceMetadata.ScopesSupported.Add("agents:register");
                    options.ResourceMetadata.ScopesSupported.Add("agents:admin");
                }
            })
            .AddDevelopmentIssuer(o =>
            {
                o.DefaultScope = "agents:register";
                o.DefaultRoles.Add("agent"); // [Authorize(Roles = "agent")] on POST /agents/heartbeat

                // DevelopmentIssuer:KeyFile: a P-256 PEM shared with another program (benchmarks/e2e's JwtBearer app).
                o.KeyPath = builder.Configuration["DevelopmentIssuer:KeyFile"];
            });

        // On a web farm: one Redis for the replay cache and for the Data Protection key ring that protects nonces.
        string? redisConfiguration = builder.Configuration.GetConnectionString("Redis");
        var health = builder.Services.AddHealthChecks();
        if (!string.IsNullOrEmpty(redisConfiguration))
        {
            var redisOptions = ConfigurationOptions.Parse(redisConfiguration);
            redisOptions.AbortOnConnectFail = false;         // start even while Redis is down; requests fail closed meanwhile
            redisOptions.BacklogPolicy = BacklogPolicy.FailFast;
            redisOptions.SocketManager = SocketManager.ThreadPool; // reads on the thread pool: fewer thread switches per replay check
            var redis = ConnectionMultiplexer.Connect(redisOptions);
            builder.Services.AddSingleton<IConnectionMultiplexer>(redis);
            authentication.AddDPoPRedisReplayCache(o => o.KeyPrefix = "arcp-sample:dpop:jti:");
            health.AddDPoPReplayCacheHealthCheck(tags: ["ready"]);
            builder.Services.AddDataProtection()
                .SetApplicationName("Arcp.DPoP.SampleApi")
                .PersistKeysToStackExchangeRedis(() => redis.GetDatabase(), "arcp-sample:dataprotection-keys");
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

        // RFC 9728: /.well-known/oauth-protected-resource tells agents which issuer to ask and which proof algorithms to
        // use, and every 401 challenge points to it (resource_metadata).
        app.MapDPoPProtectedResourceMetadata();

        app.MapHealthChecks("/health");
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi(); // /openapi/v1.json, with the DPoP security scheme on the endpoints that need it
        }

        // The development issuer's token endpoint (AddDevelopmentIssuer above; it serves nothing outside Development).
        bool development = app.Environment.IsDevelopment();
        app.MapGet("/", () => Results.Ok(new
        {
            service = "Arcp.DPoP sample API",
            token_endpoint = development ? DevelopmentTokenPath : null,
            try_it = development ? "/try-it/" : null,
        }));

        if (development)
        {
            // /try-it/: an API explorer in the browser that gets a key, a token from the development issuer, and signs
            // a proof for every call (Arcp.DPoP.OpenApi; it maps nothing outside Development).
            app.MapDPoPTryIt(tokenEndpoint: DevelopmentTokenPath);
            SampleLog.TryItPage(app.Logger, "/try-it/");
        }

        return app;
    }
}
