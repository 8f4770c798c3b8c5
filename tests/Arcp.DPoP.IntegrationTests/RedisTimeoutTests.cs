using System.Diagnostics;
using System.Net;
using Arcp.DPoP.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// A Redis that hangs, is down at startup, or may evict (issue 11, item 6), on real redis-server processes: requests
/// answer 503 within the replay store's timeout instead of waiting for Redis, and succeed again when it answers.
/// </summary>
public sealed class RedisTimeoutTests
{
    // The default timeout is 500 ms; the bound leaves room for a loaded 2-core CI machine, and is far below the
    // 5 s (hung) and 15 s (down at startup) requests waited before.
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(2.5);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(30);

    private readonly ITestOutputHelper _output;

    public RedisTimeoutTests(ITestOutputHelper output)
    {
        _output = output;
    }

    private async Task<(HttpResponseMessage Response, TimeSpan Elapsed)> TimedCallAsync(ReplayStoreHost host)
    {
        var stopwatch = Stopwatch.StartNew();
        var response = await host.CallAsync();
        _output.WriteLine($"{(int)response.StatusCode} in {stopwatch.Elapsed.TotalMilliseconds:0} ms");
        return (response, stopwatch.Elapsed);
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        await Problem.AssertAsync(response, "service-unavailable", HttpStatusCode.ServiceUnavailable);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task A_hung_Redis_gets_503_within_the_timeout_and_the_API_recovers_when_it_answers_again()
    {
        await RedisServer.RunAsync(async redis =>
        {
            await using var host = await ReplayStoreHost.StartAsync(redis);
            await host.AssertRecoversAsync(Recovery); // connected

            await redis.PauseAsync();
            for (int i = 0; i < 3; i++)
            {
                var (response, elapsed) = await TimedCallAsync(host);
                using (response)
                {
                    await AssertUnavailableAsync(response);
                }

                Assert.True(elapsed < Fast, $"request {i} took {elapsed.TotalMilliseconds:0} ms while Redis hung");
            }

            await redis.ResumeAsync();
            await host.AssertRecoversAsync(Recovery);
        });
    }

    [Theory]
    [InlineData(false)] // nothing listens: connections are refused at once
    [InlineData(true)] // the process is frozen: connections open and nothing answers, as an unreachable host
    public async Task With_Redis_down_at_startup_the_app_starts_and_the_first_request_fails_fast_then_succeeds_once_Redis_is_up(bool hung)
    {
        var redis = new RedisServer();
        if (hung)
        {
            await redis.StartAsync();
            await redis.PauseAsync();
        }

        try
        {
            var stopwatch = Stopwatch.StartNew();
            await using var host = await ReplayStoreHost.StartAsync(redis);
            _output.WriteLine($"startup in {stopwatch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(stopwatch.Elapsed < Fast, $"startup took {stopwatch.Elapsed.TotalMilliseconds:0} ms with Redis down");

            var (first, elapsed) = await TimedCallAsync(host);
            using (first)
            {
                await AssertUnavailableAsync(first);
            }

            Assert.True(elapsed < Fast, $"the first request took {elapsed.TotalMilliseconds:0} ms with Redis down");
            using (var health = await host.Client.GetAsync("/health"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
                Assert.Equal("Unhealthy", await health.Content.ReadAsStringAsync());
            }

            await (hung ? redis.ResumeAsync() : redis.StartAsync());
            await host.AssertRecoversAsync(Recovery);
        }
        finally
        {
            await redis.StopAsync();
        }
    }

    [Fact]
    public async Task The_replay_check_stops_waiting_when_the_request_is_aborted()
    {
        var (redis, cache) = await StartHungCacheAsync(TimeSpan.FromSeconds(10));
        try
        {

            using var aborted = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            var stopwatch = Stopwatch.StartNew();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.TryAddAsync("k", DateTimeOffset.UtcNow.AddSeconds(60), aborted.Token).AsTask());
            _output.WriteLine($"aborted check gave up in {stopwatch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(stopwatch.Elapsed < Fast, $"the aborted check took {stopwatch.Elapsed.TotalMilliseconds:0} ms");
        }
        finally
        {
            await redis.StopAsync();
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task Adds_that_timed_out_or_were_aborted_while_Redis_hung_leave_the_adds_after_them_exact()
    {
        // More adds than one batch holds (256) wait behind the one sent before Redis hung; half time out, half are
        // aborted. The hung one's late answer arrives after Redis resumes, while the same waiting objects serve new adds.
        const int Count = 300;
        var (redis, cache) = await StartHungCacheAsync(TimeSpan.FromMilliseconds(300));
        try
        {

            using var aborted = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            var expires = DateTimeOffset.UtcNow.AddSeconds(60);
            var stopwatch = Stopwatch.StartNew();
            var hung = Enumerable.Range(0, Count)
                .Select(i => cache.TryAddAsync($"hung-{i}", expires, i % 2 == 0 ? aborted.Token : CancellationToken.None).AsTask())
                .ToArray();
            for (int i = 0; i < Count; i++)
            {
                var failure = await Record.ExceptionAsync(() => hung[i]);
                Assert.True(i % 2 == 0 ? failure is OperationCanceledException : failure is TimeoutException, $"add {i}: {failure}");
            }

            _output.WriteLine($"{Count} hung adds given up in {stopwatch.Elapsed.TotalMilliseconds:0} ms");
            Assert.True(stopwatch.Elapsed < Fast, $"the hung adds took {stopwatch.Elapsed.TotalMilliseconds:0} ms");

            await redis.ResumeAsync();
            var twice = Enumerable.Range(0, 2 * Count)
                .Select(i => cache.TryAddAsync($"after-{i % Count}", expires).AsTask())
                .ToArray();
            bool[] results = await Task.WhenAll(twice);
            for (int i = 0; i < Count; i++)
            {
                Assert.True(results[i] ^ results[i + Count], $"key after-{i}: accepted {(results[i] ? 2 : 0)} times");
            }
        }
        finally
        {
            await redis.StopAsync();
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_health_check_is_Degraded_when_Redis_may_evict_replay_keys()
    {
        await RedisServer.RunAsync(["--maxmemory-policy", "allkeys-lru"], async redis =>
        {
            await using var host = await ReplayStoreHost.StartAsync(redis);
            await host.AssertRecoversAsync(Recovery); // requests are still served: replay protection works until Redis evicts
            using var health = await host.Client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("Degraded", await health.Content.ReadAsStringAsync());
        });
    }

    [Fact]
    public async Task The_health_check_is_Healthy_under_noeviction()
    {
        await RedisServer.RunAsync(["--maxmemory-policy", "noeviction"], async redis =>
        {
            await using var host = await ReplayStoreHost.StartAsync(redis);
            await host.AssertRecoversAsync(Recovery);
            using var health = await host.Client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        });
    }

    [Fact]
    public async Task The_timeout_binds_from_configuration()
    {
        var redis = new RedisServer();
        await using var host = await ReplayStoreHost.StartAsync(redis, new Dictionary<string, string?>
        {
            ["Authentication:DPoPRedisReplayCache:Timeout"] = "0.25",
        });
        var options = host.App.Services.GetRequiredService<IOptions<RedisDPoPReplayCacheOptions>>().Value;
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.Timeout);
    }

    // A connected cache whose redis-server then hangs (paused): every command waits until the cache's Timeout.
    private static async Task<(RedisServer Redis, RedisDPoPReplayCache Cache)> StartHungCacheAsync(TimeSpan timeout)
    {
        var redis = new RedisServer();
        await redis.StartAsync();
        var cache = new RedisDPoPReplayCache(
            Options.Create(new RedisDPoPReplayCacheOptions { Configuration = redis.Configuration, Timeout = timeout }),
            TimeProvider.System,
            new ServiceCollection().BuildServiceProvider());
        try
        {
            await cache.ConnectAsync();
            Assert.True(await cache.TryAddAsync("warm-up", DateTimeOffset.UtcNow.AddSeconds(60)));
            await redis.PauseAsync();
            return (redis, cache);
        }
        catch
        {
            await redis.StopAsync();
            await cache.DisposeAsync();
            throw;
        }
    }
}
