using Arcp.DPoP.Development;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>The sample API in process, with the development issuer, and helpers that act as a DPoP client.</summary>
public class SampleApiFactory : WebApplicationFactory<Program>
{
    public Dictionary<string, string?> Settings { get; } = new();

    public Action<IServiceCollection>? ExtraServices { get; set; }

    public FakeTimeProvider? Clock { get; set; }

    /// <summary>The host environment: Development by default, where the sample runs its development token issuer.</summary>
    public string Environment { get; set; } = "Development";

    /// <summary>The origin clients make their htu with: the test server's, or the configured PublicOrigin.</summary>
    public string Origin { get; set; } = "http://localhost";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        foreach (var setting in Settings)
        {
            builder.UseSetting(setting.Key, setting.Value);
        }

        builder.ConfigureTestServices(services =>
        {
            if (Clock is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Clock);
            }

            ExtraServices?.Invoke(services);
        });
    }

    /// <summary>
    /// Why the sample refused to start, made by <paramref name="create"/> and started as a test would (CreateClient); fails
    /// the test when it starts. When an app throws while starting, WebApplicationFactory's deferred host can read the app's
    /// services after the failed app disposed them and throw an ObjectDisposedException of its own in place of the app's
    /// exception (a race in Microsoft.AspNetCore.Mvc.Testing, seen about once in six runs of this project's tests): that
    /// one, and only that one, is tried again with a new factory, up to five times.
    /// </summary>
    public static Exception StartupFailure(Func<SampleApiFactory> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        for (int attempt = 1; ; attempt++)
        {
            using var factory = create();
            var error = Record.Exception(() => factory.CreateClient().Dispose());
            Assert.True(error is not null, "The sample started; it should have refused to.");
            bool deferredHostRace = error is ObjectDisposedException { ObjectName: nameof(IServiceProvider) }
                && error.StackTrace?.Contains("DeferredHost", StringComparison.Ordinal) == true;
            if (!deferredHostRace || attempt == 5)
            {
                return error;
            }
        }
    }

    /// <summary>The development issuer the sample trusts in Development (Arcp.DPoP's AddDevelopmentIssuer).</summary>
    public DPoPDevelopmentIssuer Issuer => Services.GetRequiredService<DPoPDevelopmentIssuer>();

    public DateTimeOffset Now => Clock?.GetUtcNow() ?? DateTimeOffset.UtcNow;

    /// <summary>Gets a token bound to <paramref name="key"/> from the development issuer's token endpoint (RFC 9449 §5).</summary>
    public async Task<string> GetTokenAsync(HttpClient client, TestKey key, string? agentId = null)
    {
        // RFC 9449 §8: with RequireNonce the token endpoint answers use_dpop_nonce first; the second proof carries its nonce.
        string? nonce = null;
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, TokenPath);
            var proof = new ProofBuilder(key, "POST", Origin + TokenPath).At(Now);
            if (nonce is not null)
            {
                proof.Payload["nonce"] = nonce;
            }

            request.Headers.Add("DPoP", proof.Build());
            if (agentId is not null)
            {
                request.Content = new FormUrlEncodedContent([new("client_id", agentId)]);
            }

            using var response = await client.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            if (attempt == 0 && body.Contains("use_dpop_nonce", StringComparison.Ordinal))
            {
                nonce = response.Headers.GetValues("DPoP-Nonce").Single();
                continue;
            }

            Assert.True(response.IsSuccessStatusCode, body);
            using var json = System.Text.Json.JsonDocument.Parse(body);
            Assert.Equal("DPoP", json.RootElement.GetProperty("token_type").GetString());
            return json.RootElement.GetProperty("access_token").GetString()!;
        }
    }

    /// <summary>The development issuer's token endpoint.</summary>
    public const string TokenPath = "/dev-issuer/token";

    public ProofBuilder Proof(TestKey key, string method, string path, string? token) =>
        new ProofBuilder(key, method, Origin + path).At(Now).ForToken(token);

    /// <summary>Sends one proof in <paramref name="count"/> concurrent requests, spread over the clients (instances).</summary>
    public static async Task<System.Net.HttpStatusCode[]> SendConcurrentlyAsync(IReadOnlyList<HttpClient> clients, string path, string token, string proof, int count = 64) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var request = Request(HttpMethod.Post, path, token, proof);
            using var response = await clients[i % clients.Count].SendAsync(request);
            return response.StatusCode;
        }));

    /// <summary>Of the statuses, exactly one 200, every other a 401, and no 5xx.</summary>
    public static void AssertExactlyOneAccepted(System.Net.HttpStatusCode[] statuses)
    {
        Assert.Equal(1, statuses.Count(s => s == System.Net.HttpStatusCode.OK));
        Assert.Equal(statuses.Length - 1, statuses.Count(s => s == System.Net.HttpStatusCode.Unauthorized));
        Assert.DoesNotContain(statuses, s => (int)s >= 500);
    }

    public static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? proof, string scheme = "DPoP")
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", scheme + " " + token);
        }

        if (proof is not null)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        return request;
    }
}
