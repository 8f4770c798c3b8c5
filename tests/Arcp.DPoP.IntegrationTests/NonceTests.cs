using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>Server nonces end to end (RFC 9449 §8, §9), on a fixed clock.</summary>
public sealed class NonceTests
{
    private const string Register = "/agents/register";

    // A whole number of 150 s windows (half the default 5 min nonce lifetime) since the epoch.
    private static readonly DateTimeOffset WindowStart = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static SampleApiFactory Factory(FakeTimeProvider clock, Action<IServiceCollection>? services = null)
    {
        var factory = new SampleApiFactory { Clock = clock, ExtraServices = services };
        factory.Settings["Authentication:Schemes:DPoP:RequireNonce"] = "true";
        return factory;
    }

    /// <summary>An agent with a token that made one request without a nonce and got one back.</summary>
    private sealed class Session : IAsyncDisposable
    {
        public required SampleApiFactory Factory { get; init; }
        public required HttpClient Client { get; init; }
        public required TestKey Key { get; init; }
        public required string Token { get; init; }
        public required HttpResponseMessage First { get; init; }

        public string FirstNonce => Nonce(First);

        public Task<HttpResponseMessage> SendAsync(string? nonce) => NonceTests.SendAsync(Factory, Client, Key, Token, nonce);

        public async ValueTask DisposeAsync()
        {
            First.Dispose();
            Key.Dispose();
            Client.Dispose();
            await Factory.DisposeAsync();
        }
    }

    private static async Task<Session> StartAsync(FakeTimeProvider clock)
    {
        var factory = Factory(clock);
        var client = factory.CreateClient();
        var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        var first = await SendAsync(factory, client, key, token, nonce: null);
        return new Session { Factory = factory, Client = client, Key = key, Token = token, First = first };
    }

    private static async Task<HttpResponseMessage> SendAsync(SampleApiFactory factory, HttpClient client, TestKey key, string token, string? nonce)
    {
        var proof = factory.Proof(key, "POST", Register, token);
        if (nonce is not null)
        {
            proof.Payload["nonce"] = nonce;
        }

        return await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof.Build()));
    }

    private static string Nonce(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("DPoP-Nonce"));

    [Fact]
    public async Task The_first_request_gets_use_dpop_nonce_and_the_retry_with_it_succeeds()
    {
        await using var session = await StartAsync(new FakeTimeProvider(WindowStart));
        var problem = await Problem.AssertAsync(session.First, "dpop-invalid", error: "use_dpop_nonce");
        Assert.Contains("nonce", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var retry = await session.SendAsync(session.FirstNonce);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.False(retry.Headers.Contains("DPoP-Nonce"), "a fresh nonce needs no replacement yet");
    }

    [Fact]
    public async Task A_nonce_from_a_host_with_another_key_ring_is_refused()
    {
        var clock = new FakeTimeProvider(WindowStart);
        await using var other = Factory(clock, s => s.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider()));
        await using var factory = Factory(clock, s => s.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider()));
        using var otherClient = other.CreateClient();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        string otherToken = await other.GetTokenAsync(otherClient, key);
        using var otherFirst = await SendAsync(other, otherClient, key, otherToken, nonce: null);
        string foreignNonce = Nonce(otherFirst);

        string token = await factory.GetTokenAsync(client, key);
        using var refused = await SendAsync(factory, client, key, token, foreignNonce);
        var problem = await Problem.AssertAsync(refused, "dpop-invalid", error: "use_dpop_nonce");
        Assert.Contains("not issued by this API", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(foreignNonce, Nonce(refused));

        using var forged = await SendAsync(factory, client, key, token, "bm90LWEtbm9uY2U");
        await Problem.AssertAsync(forged, "dpop-invalid", error: "use_dpop_nonce");
    }

    [Fact]
    public async Task An_expired_nonce_is_refused_with_a_fresh_one_offered()
    {
        var clock = new FakeTimeProvider(WindowStart);
        await using var session = await StartAsync(clock);
        string nonce = session.FirstNonce;

        clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        using var expired = await session.SendAsync(nonce);
        var problem = await Problem.AssertAsync(expired, "dpop-invalid", error: "use_dpop_nonce");
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        string fresh = Nonce(expired);
        Assert.NotEqual(nonce, fresh);

        using var retry = await session.SendAsync(fresh);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
    }

    [Fact]
    public async Task A_successful_response_carries_the_next_nonce_before_the_current_one_expires()
    {
        var clock = new FakeTimeProvider(WindowStart);
        await using var session = await StartAsync(clock);
        string nonce = session.FirstNonce;

        clock.Advance(TimeSpan.FromSeconds(100));
        using var young = await session.SendAsync(nonce);
        Assert.Equal(HttpStatusCode.OK, young.StatusCode);
        Assert.False(young.Headers.Contains("DPoP-Nonce"));

        // Past half its life (150 s of 300 s), still valid: the 200 hands out the next nonce.
        clock.Advance(TimeSpan.FromSeconds(60));
        using var old = await session.SendAsync(nonce);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        string next = Nonce(old);
        Assert.NotEqual(nonce, next);

        // The client switches and never sees a use_dpop_nonce: the old nonce would have expired at 300 s.
        clock.Advance(TimeSpan.FromSeconds(150));
        using var switched = await session.SendAsync(next);
        Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
    }

    [Fact]
    public async Task Every_401_carries_a_nonce_and_a_missing_nonce_does_not_use_up_the_proof()
    {
        var clock = new FakeTimeProvider(WindowStart);
        await using var factory = Factory(clock);
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        using var noCredentials = await client.PostAsync(Register, null);
        await Problem.AssertAsync(noCredentials, "authentication-failed");
        string nonce = Nonce(noCredentials);

        string token = await factory.GetTokenAsync(client, key);
        var builder = factory.Proof(key, "POST", Register, token);
        using var withoutNonce = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, builder.Build()));
        await Problem.AssertAsync(withoutNonce, "dpop-invalid", error: "use_dpop_nonce");

        // Same jti, now with the nonce: the refused proof was never recorded as used.
        builder.Payload["nonce"] = nonce;
        using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, builder.Build()));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
