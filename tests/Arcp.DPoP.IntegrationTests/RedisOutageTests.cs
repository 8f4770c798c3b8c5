using System.Net;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>Redis stops in the middle of a run and comes back: the API fails closed, then recovers without a restart.</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private const string Register = "/agents/register";
    private readonly RedisServer _redis = new();
    private readonly string _issuerKeyFile = FarmFactory.NewKeyFile();

    public Task InitializeAsync() => _redis.StartAsync();

    public async Task DisposeAsync()
    {
        await _redis.StopAsync();
        Directory.Delete(Path.GetDirectoryName(_issuerKeyFile)!, recursive: true);
    }

    [Fact]
    public async Task Redis_down_means_503_problems_and_no_acceptance_then_200_again_when_it_returns()
    {
        await using var factory = FarmFactory.Instance(_redis, _issuerKeyFile);
        using var client = factory.CreateClient();
        // The cache connects in the background when the app starts and fails closed until then: on a busy machine the
        // first request can come before the connection (a 503 that is right, but not what this test is about).
        var connectedBy = DateTime.UtcNow.AddSeconds(30);
        var startup = HttpStatusCode.ServiceUnavailable;
        while (startup != HttpStatusCode.OK && DateTime.UtcNow < connectedBy)
        {
            using var health = await client.GetAsync("/health");
            startup = health.StatusCode;
            if (startup != HttpStatusCode.OK)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(startup == HttpStatusCode.OK, $"the replay cache did not connect to Redis within 30 s of startup (/health answered {(int)startup})");

        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        string accepted = factory.Proof(key, "POST", Register, token).Build();
        using (var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, accepted)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var healthy = await client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
            Assert.Equal("Healthy", await healthy.Content.ReadAsStringAsync());
        }

        await _redis.StopAsync();

        using (var unhealthy = await client.GetAsync("/health"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
            Assert.Equal("Unhealthy", await unhealthy.Content.ReadAsStringAsync());
        }

        var outage = new List<HttpStatusCode>();
        for (int i = 0; i < 10; i++)
        {
            // Fresh proofs, and the already-used one: nothing may be accepted while first use cannot be checked.
            string proof = i == 0 ? accepted : factory.Proof(key, "POST", Register, token).Build();
            using var response = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
            outage.Add(response.StatusCode);
            var problem = await Problem.AssertAsync(response, "service-unavailable", HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Service Unavailable", problem.GetProperty("title").GetString());
            Assert.Equal("temporarily_unavailable", problem.GetProperty("error").GetString());
            Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
            Assert.Empty(response.Headers.WwwAuthenticate);
        }

        Assert.All(outage, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));

        await _redis.StartAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        var status = HttpStatusCode.ServiceUnavailable;
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            using var response = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
            status = response.StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"unexpected {(int)status} while Redis reconnects");
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(250);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
        using var recovered = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }
}
