using Arcp.DPoP.StackExchangeRedis;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Review (issue 14, pipelined group commit): the replay cache's batches attacked on a real redis-server of their own.
/// Whatever Redis does to a batch (refuses some of its commands, drops the connection under it, answers after the
/// request gave up), an add is a first use only when Redis answered OK to its own key, and a replay only when Redis
/// answered that the key was there.
/// </summary>
public sealed class RedisBatchAttackTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private ReplayCacheBench _bench = null!;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        _bench = await ReplayCacheBench.StartAsync(_redis, "attack");
    }

    public async Task DisposeAsync()
    {
        await _bench.DisposeAsync();
        await _redis.StopAsync();
    }

    private static async Task<(bool? Added, Exception? Failure)> Outcome(ValueTask<bool> add)
    {
        try
        {
            return (await add, null);
        }
        catch (Exception ex)
        {
            return (null, ex);
        }
    }

    [Fact]
    public async Task When_Redis_runs_out_of_memory_mid_batch_only_the_adds_Redis_recorded_are_first_uses()
    {
        var cache = await _bench.InstanceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(120);
        Assert.True(await cache.TryAddAsync("warm-up", expires));

        // The limit a little above what Redis uses now: long keys fill it within the adds sent below, so some
        // commands of a batch are answered OK and the ones after them OOM.
        var server = _bench.Inspector.GetServer(_redis.Configuration);
        var info = (await server.InfoAsync("memory")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        long used = long.Parse(info["used_memory"], System.Globalization.CultureInfo.InvariantCulture);
        await server.ConfigSetAsync("maxmemory-policy", "noeviction");
        await server.ConfigSetAsync("maxmemory", (used + 200_000).ToString(System.Globalization.CultureInfo.InvariantCulture));
        string padding = new('p', 400);
        (bool? Added, Exception? Failure)[] outcomes;
        try
        {
            outcomes = await Task.WhenAll(Enumerable.Range(0, 3000).Select(i => Outcome(cache.TryAddAsync($"oom-{i}-{padding}", expires))));
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }

        int added = 0, refused = 0;
        for (int i = 0; i < outcomes.Length; i++)
        {
            bool exists = await _bench.Inspector.GetDatabase().KeyExistsAsync(_bench.Prefix + $"oom-{i}-{padding}");
            Assert.NotEqual(false, outcomes[i].Added); // every key was new: never a replay
            if (outcomes[i].Added == true)
            {
                added++;
                Assert.True(exists, $"add {i} was a first use but Redis has no key");
            }
            else
            {
                refused++;
                Assert.IsType<RedisServerException>(outcomes[i].Failure);
                Assert.StartsWith("OOM", outcomes[i].Failure!.Message, StringComparison.Ordinal);
                Assert.False(exists, $"add {i} failed but Redis recorded it");
            }
        }

        Assert.True(added > 0 && refused > 0, $"added {added}, refused {refused}: the limit did not fall mid-way");
    }

    [Fact]
    public async Task Of_many_rounds_of_concurrent_adds_on_two_instances_each_key_has_exactly_one_first_use()
    {
        var one = await _bench.InstanceAsync();
        var two = await _bench.InstanceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(120);
        for (int round = 0; round < 10; round++)
        {
            const int Keys = 400;
            var adds = new List<(int Key, Task<bool> Added)>();
            for (int copy = 0; copy < 3; copy++)
            {
                for (int k = 0; k < Keys; k++)
                {
                    adds.Add((k, one.TryAddAsync($"r{round}-{k}", expires).AsTask()));
                    adds.Add((k, two.TryAddAsync($"r{round}-{k}", expires).AsTask()));
                }
            }

            var results = new List<(int Key, bool Added)>();
            foreach (var (key, add) in adds)
            {
                results.Add((key, await add));
            }

            foreach (var group in results.GroupBy(r => r.Key))
            {
                Assert.Equal(1, group.Count(r => r.Added));
            }
        }
    }

    [Fact]
    public async Task When_the_connection_is_killed_under_batches_no_key_is_a_first_use_twice_or_without_Redis()
    {
        var one = await _bench.InstanceAsync();
        var two = await _bench.InstanceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(120);
        var db = _bench.Inspector.GetDatabase();
        for (int k = 0; k < 2000; k += 2)
        {
            await db.StringSetAsync(_bench.Prefix + $"kill-{k}", "1", TimeSpan.FromSeconds(120)); // every other key used already
        }

        var firstUses = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var stop = new CancellationTokenSource();
        var killer = Task.Run(async () =>
        {
            var server = _bench.Inspector.GetServer(_redis.Configuration);
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(Random.Shared.Next(1, 15));
                foreach (var client in await server.ClientListAsync())
                {
                    if (client.Name != ReplayCacheBench.InspectorName)
                    {
                        try
                        {
                            await server.ClientKillAsync(client.Id, ClientType.Normal);
                        }
                        catch (RedisException)
                        {
                        }
                    }
                }
            }
        });

        var deadline = DateTime.UtcNow.AddSeconds(5);
        int attempts = 0, failures = 0;
        while (DateTime.UtcNow < deadline)
        {
            var wave = new List<(int Key, Task<(bool? Added, Exception? Failure)> Outcome)>();
            for (int i = 0; i < 400; i++)
            {
                int k = Random.Shared.Next(2000);
                var cache = (i & 1) == 0 ? one : two;
                wave.Add((k, Outcome(cache.TryAddAsync($"kill-{k}", expires))));
            }

            foreach (var (key, outcome) in wave)
            {
                var (added, failure) = await outcome;
                attempts++;
                if (failure is not null)
                {
                    failures++;
                }

                if (added == true)
                {
                    Assert.True(key % 2 != 0, $"key {key} was used before the test, yet an add was a first use");
                    firstUses.Add(key);
                }
            }

            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await killer;
        foreach (var group in firstUses.GroupBy(k => k))
        {
            Assert.True(group.Count() == 1, $"key {group.Key} had {group.Count()} first uses");
            Assert.True(await db.KeyExistsAsync(_bench.Prefix + $"kill-{group.Key}"));
        }

        Assert.True(failures > 0 && !firstUses.IsEmpty, $"{attempts} adds, {failures} failed, {firstUses.Count} first uses: the kills did not land mid-way");
    }

    [Fact]
    public async Task Adds_given_up_at_random_while_Redis_stalls_never_get_another_add_s_answer()
    {
        var cache = await _bench.InstanceAsync(o => o.Timeout = TimeSpan.FromMilliseconds(400));
        var expires = DateTimeOffset.UtcNow.AddSeconds(120);
        var db = _bench.Inspector.GetDatabase();
        const int Used = 3000;
        for (int k = 0; k < Used; k++)
        {
            await db.StringSetAsync(_bench.Prefix + $"used-{k}", "1", TimeSpan.FromSeconds(120));
        }

        using var stop = new CancellationTokenSource();
        var staller = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(Random.Shared.Next(50, 200));
                await _redis.PauseAsync();
                await Task.Delay(Random.Shared.Next(10, 600));
                await _redis.ResumeAsync();
            }
        });

        int fresh = 0, answered = 0, failed = 0;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var wave = new List<(bool Used, Task<(bool? Added, Exception? Failure)> Outcome, CancellationTokenSource? Abort)>();
                for (int i = 0; i < 300; i++)
                {
                    bool used = Random.Shared.Next(2) == 0;
                    string key = used ? $"used-{Random.Shared.Next(Used)}" : $"fresh-{fresh++}";
                    CancellationTokenSource? abort = null;
                    if (Random.Shared.Next(3) == 0)
                    {
                        abort = new CancellationTokenSource();
                        abort.CancelAfter(Random.Shared.Next(0, 5));
                    }

                    wave.Add((used, Outcome(cache.TryAddAsync(key, expires, abort?.Token ?? default)), abort));
                }

                foreach (var (used, outcome, abort) in wave)
                {
                    var (added, failure) = await outcome;
                    abort?.Dispose();
                    if (failure is not null)
                    {
                        failed++;
                        Assert.True(failure is TimeoutException or OperationCanceledException or RedisException, failure.ToString());
                        continue;
                    }

                    answered++;
                    Assert.Equal(!used, added); // a used key is never a first use, a fresh key (added once) never a replay
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await staller;
            await _redis.ResumeAsync();
        }

        Assert.True(answered > 0 && failed > 0, $"{answered} answered, {failed} failed");
    }

    [Fact]
    public async Task A_batch_s_requests_never_go_on_on_the_connection_s_reader_threads()
    {
        using var sockets = new SocketManager("attack-reader", 2, SocketManager.SocketManagerOptions.None);
        var cache = await _bench.InstanceAsync(o =>
        {
            o.Configuration = null;
            var configuration = ConfigurationOptions.Parse(_redis.Configuration);
            configuration.SocketManager = sockets;
            o.ConfigurationOptions = configuration;
        });
        var expires = DateTimeOffset.UtcNow.AddSeconds(120);
        var threads = new System.Collections.Concurrent.ConcurrentBag<string>();
        for (int round = 0; round < 20; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
            {
                await cache.TryAddAsync($"thread-{round}-{i}", expires).ConfigureAwait(false);
                threads.Add(Thread.CurrentThread.Name ?? "(thread pool)");
            }));
        }

        Assert.DoesNotContain(threads, t => t.StartsWith("attack-reader", StringComparison.Ordinal));
    }
}
