using System.Net;
using Arcp.DPoP.StackExchangeRedis;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// An API whose replay cache is Redis through the cache's own connection (<c>AddDPoPRedisReplayCache(o =&gt;
/// o.Configuration = ...)</c>), with the replay-cache health check at <c>/health</c>, and an agent that calls it.
/// </summary>
internal sealed class ReplayStoreHost : IAsyncDisposable
{
    public const string Path = "/agents/me";

    private readonly TestTokenIssuer _issuer = new(TimeProvider.System);
    private readonly TestKey _key = TestKey.Create();
    private readonly string _token;

    private ReplayStoreHost(WebApplication app)
    {
        App = app;
        _token = _issuer.CreateToken("agent-1", "arcp-api", _key.Jkt, TimeSpan.FromMinutes(10));
    }

    public WebApplication App { get; }

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Builds and starts the API; <paramref name="settings"/> are configuration keys.</summary>
    public static async Task<ReplayStoreHost> StartAsync(RedisServer redis, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        TestTokenIssuer? issuer = null;
        builder.Services.AddAuthentication()
            .AddDPoP(o =>
            {
                o.Audience = "arcp-api";
                o.TokenValidationParameters.ValidIssuer = TestTokenIssuer.Issuer;
                o.TokenValidationParameters.IssuerSigningKey = issuer!.SigningKey;
            })
            .AddDPoPRedisReplayCache(o =>
            {
                o.Configuration = redis.Configuration;
                o.KeyPrefix = "replay-store-host:" + Guid.NewGuid().ToString("N") + ":";
            });
        builder.Services.AddAuthorization();
        builder.Services.AddHealthChecks().AddDPoPReplayCacheHealthCheck();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet(Path, (HttpContext context) => context.User.FindFirst("jkt")?.Value)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = DPoPDefaults.AuthenticationScheme });
        app.MapHealthChecks("/health");
        var host = new ReplayStoreHost(app);
        issuer = host._issuer;
        await app.StartAsync();
        host.Client = app.GetTestClient();
        return host;
    }

    /// <summary>One request with a fresh proof.</summary>
    public async Task<HttpResponseMessage> CallAsync(CancellationToken cancellationToken = default)
    {
        string proof = new ProofBuilder(_key, "GET", "http://localhost" + Path).At(DateTimeOffset.UtcNow).ForToken(_token).Build();
        return await Client.SendAsync(SampleApiFactory.Request(HttpMethod.Get, Path, _token, proof), cancellationToken);
    }

    /// <summary>Calls until the API answers 200, for at most <paramref name="within"/>; every other answer must be a 503.</summary>
    public async Task AssertRecoversAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            using var response = await CallAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"the API did not recover within {within}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        _key.Dispose();
        _issuer.Dispose();
    }
}
