using System.Net;
using System.Net.Sockets;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 item 5: when the issuer's metadata cannot be fetched and nothing is cached, the API answers 503
/// service-unavailable with Retry-After (the token may be perfectly good), logs a Warning naming the metadata address,
/// and never says the token's issuer is not trusted. Real issuers on loopback: one that is down, one that fails.
/// </summary>
public sealed class IssuerOutageTests
{
    [Fact]
    public async Task An_issuer_that_is_down_is_a_503_not_a_bad_token()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        await AssertUnavailableAsync($"http://127.0.0.1:{port}");
    }

    [Fact]
    public async Task An_issuer_that_answers_500_is_a_503_not_a_bad_token()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var issuer = builder.Build();
        issuer.MapGet("/{**path}", () => Results.StatusCode(500));
        await issuer.StartAsync();

        await AssertUnavailableAsync(issuer.Urls.First().TrimEnd('/'));
    }

    private static async Task AssertUnavailableAsync(string authority)
    {
        var logs = new FakeLogCollector();
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o =>
            {
                o.TokenValidationParameters.IssuerSigningKey = null;
                o.Authority = authority;
                o.RequireHttpsMetadata = false;
                o.BackchannelTimeout = TimeSpan.FromSeconds(5);
            },
            Services = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs))),
        });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        var problem = await Problem.AssertAsync(response, "service-unavailable", HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(response.Headers.RetryAfter);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.DoesNotContain("not trusted", detail, StringComparison.Ordinal);
        Assert.Contains("issuer", detail, StringComparison.Ordinal);

        var warning = Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Id.Name == "IssuerMetadataUnavailable");
        Assert.Contains(authority + "/.well-known/openid-configuration", warning.Message, StringComparison.Ordinal);
        Assert.NotNull(warning.Exception);
    }
}
