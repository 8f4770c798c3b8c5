using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.Tests;

public class InMemoryDPoPReplayCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Accepts_a_key_once_until_it_expires()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        Assert.True(await cache.TryAddAsync("k", Now.AddSeconds(65)));
        Assert.False(await cache.TryAddAsync("k", Now.AddSeconds(65)));
        clock.Advance(TimeSpan.FromSeconds(64));
        Assert.False(await cache.TryAddAsync("k", Now.AddSeconds(65)));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await cache.TryAddAsync("k", Now.AddSeconds(200)));
    }

    [Fact]
    public async Task Of_many_concurrent_adds_of_one_key_exactly_one_wins()
    {
        var cache = new InMemoryDPoPReplayCache(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await cache.TryAddAsync("same", expires);
        })).ToArray();
        start.Set();
        bool[] results = await Task.WhenAll(tasks);
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task Expired_entries_are_swept()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        for (int i = 0; i < 100; i++)
        {
            await cache.TryAddAsync("k" + i, Now.AddSeconds(1));
        }

        Assert.Equal(100, cache.Count);
        clock.Advance(InMemoryDPoPReplayCache.SweepInterval + TimeSpan.FromSeconds(2));
        await cache.TryAddAsync("fresh", clock.GetUtcNow().AddSeconds(60));
        Assert.Equal(1, cache.Count);
    }
}
