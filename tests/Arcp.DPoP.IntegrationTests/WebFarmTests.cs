using System.Net;
using Arcp.DPoP.Testing;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>Two instances of the sample API sharing one real redis-server.</summary>
public sealed class WebFarmTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string Register = "/agents/register";
    private readonly RedisServer _redis;
    private TwoInstanceFarm _farm = null!;

    public WebFarmTests(RedisServer redis)
    {
        _redis = redis;
    }

    public Task InitializeAsync()
    {
        _farm = new TwoInstanceFarm(_redis);
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _farm.DisposeAsync().AsTask();

    [Fact]
    public async Task A_proof_accepted_by_one_instance_is_refused_by_the_other()
    {
        using var key = TestKey.Create();
        string token = await _farm.One.GetTokenAsync(_farm.Client1, key);
        string proof = _farm.One.Proof(key, "POST", Register, token).Build();

        using var first = await _farm.Client1.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var replay = await _farm.Client2.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        var problem = await Problem.AssertAsync(replay, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A fresh proof is accepted by the second instance: the token and key are good everywhere.
        using var fresh = await _farm.Client2.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, _farm.Two.Proof(key, "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task Of_64_concurrent_sends_of_one_proof_across_both_instances_exactly_one_succeeds()
    {
        using var key = TestKey.Create();
        string token = await _farm.One.GetTokenAsync(_farm.Client1, key);
        string proof = _farm.One.Proof(key, "POST", Register, token).Build();

        var statuses = await SampleApiFactory.SendConcurrentlyAsync([_farm.Client1, _farm.Client2], Register, token, proof);
        Assert.Equal(64, statuses.Length);
        SampleApiFactory.AssertExactlyOneAccepted(statuses);
    }

    [Fact]
    public async Task The_redis_entry_covers_the_whole_acceptance_window()
    {
        using var key = TestKey.Create();
        string token = await _farm.One.GetTokenAsync(_farm.Client1, key);
        var builder = _farm.One.Proof(key, "POST", Register, token);
        string proof = builder.Build();
        using var response = await _farm.Client1.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await using var inspector = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        string redisKey = "arcp-sample:dpop:jti:" + DPoPProofValidator.ReplayKey(key.Jkt, (string)builder.Payload["jti"]!);
        var ttl = await inspector.GetDatabase().KeyTimeToLiveAsync(redisKey);
        Assert.NotNull(ttl);

        // Accepted until iat + 60 s (ProofLifetime); kept until iat + 60 s + 5 s (ClockSkew).
        var iat = DateTimeOffset.FromUnixTimeSeconds((long)builder.Payload["iat"]!);
        var acceptedFor = iat.AddSeconds(60) - DateTimeOffset.UtcNow;
        Assert.True(ttl.Value >= acceptedFor, $"PTTL {ttl.Value.TotalMilliseconds} ms is shorter than the {acceptedFor.TotalMilliseconds} ms the proof stays acceptable");
        Assert.True(ttl.Value <= TimeSpan.FromSeconds(65), $"PTTL {ttl.Value.TotalMilliseconds} ms outlives the window");
    }

    [Fact]
    public async Task A_nonce_issued_by_one_instance_is_accepted_by_the_other()
    {
        await using var one = _farm.Instance(requireNonce: true);
        await using var two = _farm.Instance(requireNonce: true);
        using var client1 = one.CreateClient();
        using var client2 = two.CreateClient();
        using var key = TestKey.Create();
        string token = await one.GetTokenAsync(client1, key);

        using var noNonce = await client1.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, one.Proof(key, "POST", Register, token).Build()));
        await Problem.AssertAsync(noNonce, "dpop-invalid", error: "use_dpop_nonce");
        string nonce = noNonce.Headers.GetValues("DPoP-Nonce").Single();

        var proof = two.Proof(key, "POST", Register, token);
        proof.Payload["nonce"] = nonce;
        using var accepted = await client2.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof.Build()));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }
}
