using Arcp.DPoP.StackExchangeRedis;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>The Redis replay cache against a real redis-server.</summary>
public sealed class RedisDPoPReplayCacheTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _redis;
    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N") + ":";
    private RedisDPoPReplayCache _cache = null!;
    private ConnectionMultiplexer _inspector = null!;

    public RedisDPoPReplayCacheTests(RedisServer redis)
    {
        _redis = redis;
    }

    public async Task InitializeAsync()
    {
        _cache = new RedisDPoPReplayCache(
            // These tests are not about the timeout (RedisTimeoutTests are): in a fresh test process on a busy 2-core
            // machine the thread pool can stall for more than the default 500 ms while the first tests start.
            Options.Create(new RedisDPoPReplayCacheOptions { Configuration = _redis.Configuration, KeyPrefix = _prefix, Timeout = TimeSpan.FromSeconds(10) }),
            TimeProvider.System,
            new ServiceCollection().BuildServiceProvider());
        await _cache.ConnectAsync();
        _inspector = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _inspector.DisposeAsync();
    }

    [Fact]
    public async Task A_key_is_accepted_once()
    {
        var expires = DateTimeOffset.UtcNow.AddSeconds(65);
        Assert.True(await _cache.TryAddAsync("k1", expires));
        Assert.False(await _cache.TryAddAsync("k1", expires));
        Assert.True(await _cache.TryAddAsync("k2", expires));
    }

    [Fact]
    public async Task The_entry_lives_until_the_proof_expires_and_no_longer()
    {
        await _cache.TryAddAsync("ttl", DateTimeOffset.UtcNow.AddSeconds(65));
        var ttl = await _inspector.GetDatabase().KeyTimeToLiveAsync(_prefix + "ttl");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalMilliseconds, 64_000, 65_000);

        Assert.True(await _cache.TryAddAsync("short", DateTimeOffset.UtcNow.AddSeconds(1.2)));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.True(await _cache.TryAddAsync("short", DateTimeOffset.UtcNow.AddSeconds(60)));
    }

    [Fact]
    public async Task An_already_expired_proof_is_still_recorded_for_a_moment()
    {
        Assert.True(await _cache.TryAddAsync("late", DateTimeOffset.UtcNow.AddSeconds(-5)));
        var ttl = await _inspector.GetDatabase().KeyTimeToLiveAsync(_prefix + "late");
        Assert.InRange(ttl!.Value.TotalMilliseconds, 1, 1_000);
    }

    [Fact]
    public async Task Of_64_concurrent_adds_of_one_key_exactly_one_wins()
    {
        var expires = DateTimeOffset.UtcNow.AddSeconds(65);
        bool[] results = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => _cache.TryAddAsync("race", expires).AsTask()));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task A_registration_without_a_connection_is_a_startup_error()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddAuthentication()
            .AddDPoP(o => { o.Audience = "a"; o.TokenValidationParameters.IssuerSigningKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]); })
            .AddDPoPRedisReplayCache();
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        await using var app = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("has no connection", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_replay_cache_is_a_startup_error()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddAuthentication()
            .AddDPoP(o => { o.Audience = "a"; o.TokenValidationParameters.IssuerSigningKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(new byte[32]); });
        builder.Services.RemoveAll<IDPoPReplayCache>();
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        await using var app = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("no IDPoPReplayCache is registered", ex.Message, StringComparison.Ordinal);
    }
}
