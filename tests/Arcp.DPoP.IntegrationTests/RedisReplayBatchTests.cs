using System.Diagnostics;
using System.Net;
using Arcp.DPoP.StackExchangeRedis;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// The Redis replay cache's group commit (concurrent adds sent together, one pipelined <c>SET NX</c> each) against a
/// real redis-server: every add of a batch gets its own answer, its own time-to-live, its own cache's database and
/// prefix, and the guarantees of one <c>SET NX</c> per add hold.
/// </summary>
public sealed class RedisReplayBatchTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly RedisServer _redis;
    private ReplayCacheBench _bench = null!;

    public RedisReplayBatchTests(RedisServer redis)
    {
        _redis = redis;
    }

    public async Task InitializeAsync() => _bench = await ReplayCacheBench.StartAsync(_redis, "batch");

    public Task DisposeAsync() => _bench.DisposeAsync().AsTask();

    // A cache on a server of the test's own with the given timeout, its first add answered (connected, nothing cold),
    // and when the adds' proofs expire.
    private async Task<(RedisDPoPReplayCache Cache, DateTimeOffset Expires)> WarmCacheAsync(RedisServer redis, TimeSpan timeout)
    {
        var cache = await _bench.InstanceAsync(o => { o.Configuration = redis.Configuration; o.Timeout = timeout; });
        var expires = DateTimeOffset.UtcNow.AddSeconds(60);
        Assert.True(await cache.TryAddAsync("warm-up", expires));
        return (cache, expires);
    }

    [Fact]
    public async Task Of_concurrent_adds_of_each_key_on_two_instances_exactly_one_wins()
    {
        var one = await _bench.InstanceAsync();
        var two = await _bench.InstanceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(60);

        // 100 keys, each added twice by each instance, all at once: many batches on each connection, with repeats
        // of a key inside one batch and across the two.
        const int Keys = 100;
        var adds = new List<(int Key, Task<bool> Added)>();
        for (int round = 0; round < 2; round++)
        {
            for (int k = 0; k < Keys; k++)
            {
                adds.Add((k, one.TryAddAsync($"key-{k}", expires).AsTask()));
                adds.Add((k, two.TryAddAsync($"key-{k}", expires).AsTask()));
            }
        }

        await Task.WhenAll(adds.Select(a => a.Added));
        foreach (var group in adds.GroupBy(a => a.Key))
        {
            Assert.Equal(1, group.Count(a => a.Added.Result));
        }
    }

    [Fact]
    public async Task Each_add_of_a_batch_lives_as_long_as_its_own_proof()
    {
        var cache = await _bench.InstanceAsync();
        var now = DateTimeOffset.UtcNow;
        bool[] added = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => cache.TryAddAsync($"ttl-{i}", now.AddSeconds(20 + i)).AsTask()));
        Assert.All(added, Assert.True);

        var db = _bench.Inspector.GetDatabase();
        for (int i = 0; i < 40; i++)
        {
            var ttl = await db.KeyTimeToLiveAsync(_bench.Prefix + $"ttl-{i}");
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value.TotalSeconds, 20 + i - 3, 20 + i);
        }
    }

    [Fact]
    public async Task Caches_on_one_connection_keep_their_own_database_and_prefix()
    {
        await using var shared = await ConnectionMultiplexer.ConnectAsync(_redis.Configuration);
        string prefixA = _bench.Prefix + "a:", prefixB = _bench.Prefix + "b:";
        var a = await _bench.InstanceAsync(o => { o.Configuration = null; o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(shared); o.Database = 1; o.KeyPrefix = prefixA; });
        var b = await _bench.InstanceAsync(o => { o.Configuration = null; o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(shared); o.Database = 2; o.KeyPrefix = prefixB; });
        var expires = DateTimeOffset.UtcNow.AddSeconds(60);

        // The same key names, interleaved: each cache records each name once, in its own database under its own prefix.
        var adds = Enumerable.Range(0, 60).SelectMany(i => new[] { a.TryAddAsync($"k{i}", expires).AsTask(), b.TryAddAsync($"k{i}", expires).AsTask() }).ToArray();
        Assert.All(await Task.WhenAll(adds), Assert.True);

        for (int i = 0; i < 60; i++)
        {
            Assert.True(await _bench.Inspector.GetDatabase(1).KeyExistsAsync(prefixA + $"k{i}"));
            Assert.True(await _bench.Inspector.GetDatabase(2).KeyExistsAsync(prefixB + $"k{i}"));
            Assert.False(await _bench.Inspector.GetDatabase(1).KeyExistsAsync(prefixB + $"k{i}"));
            Assert.False(await _bench.Inspector.GetDatabase(2).KeyExistsAsync(prefixA + $"k{i}"));
            Assert.False(await _bench.Inspector.GetDatabase(0).KeyExistsAsync(prefixA + $"k{i}"));
        }
    }

    [Fact]
    public async Task In_a_batch_each_add_gets_the_answer_to_its_own_command()
    {
        var cache = await _bench.InstanceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(60);
        for (int i = 0; i < 64; i += 3)
        {
            Assert.True(await cache.TryAddAsync($"mixed-{i}", expires)); // every third key is used already
        }

        // All at once: batches mixing replays and first uses, each answer matched to its own add, none shifted.
        bool[] added = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => cache.TryAddAsync($"mixed-{i}", expires).AsTask()));
        for (int i = 0; i < 64; i++)
        {
            Assert.Equal(i % 3 != 0, added[i]);
        }
    }

    [Fact]
    public async Task A_batch_queued_behind_a_slow_answer_answers_every_add_exactly()
    {
        await RedisServer.RunAsync(async redis =>
        {
            var cache = await _bench.InstanceAsync(o => o.Configuration = redis.Configuration);
            var expires = DateTimeOffset.UtcNow.AddSeconds(60);
            for (int i = 0; i < 50; i += 2)
            {
                Assert.True(await cache.TryAddAsync($"queued-{i}", expires)); // every other key is used already
            }

            // One add in flight to a frozen server, 50 queued behind it: they go as one batch of 50 when it answers,
            // and each gets its own answer.
            await redis.PauseAsync();
            var first = cache.TryAddAsync("in-flight", expires).AsTask();
            var queued = Enumerable.Range(0, 50).Select(i => cache.TryAddAsync($"queued-{i}", expires).AsTask()).ToArray();
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            Assert.DoesNotContain(queued, t => t.IsCompleted);
            await redis.ResumeAsync();

            Assert.True(await first);
            bool[] added = await Task.WhenAll(queued);
            for (int i = 0; i < 50; i++)
            {
                Assert.Equal(i % 2 != 0, added[i]);
            }
        });
    }

    [Fact]
    public async Task A_single_add_queued_behind_a_slow_answer_is_sent_when_it_comes_without_waiting_for_another_add()
    {
        // Review (queued send): when the answer comes with one add queued and no add arrives after it, that add must be
        // sent then, not left in the queue with nothing in flight (it would wait for its timeout: a 503).
        await RedisServer.RunAsync(async redis =>
        {
            var (cache, expires) = await WarmCacheAsync(redis, TimeSpan.FromSeconds(5));
            for (int round = 0; round < 3; round++)
            {
                await redis.PauseAsync();
                var inFlight = cache.TryAddAsync($"in-flight-{round}", expires).AsTask();
                var queued = cache.TryAddAsync($"queued-{round}", expires).AsTask();
                await Task.Delay(TimeSpan.FromMilliseconds(100));
                Assert.False(queued.IsCompleted);
                await redis.ResumeAsync();

                Assert.True(await inFlight);
                Assert.Same(queued, await Task.WhenAny(queued, Task.Delay(TimeSpan.FromSeconds(3)))); // well before the 5-s timeout
                Assert.True(await queued);
            }
        });
    }

    [Fact]
    public async Task A_server_killed_with_a_batch_in_flight_fails_every_add_then_the_cache_records_again_once_it_is_back()
    {
        await RedisServer.RunAsync(async redis =>
        {
            var (cache, expires) = await WarmCacheAsync(redis, TimeSpan.FromSeconds(5));

            // One add in flight to a frozen server and 50 queued behind it, then the server dies (SIGKILL, as a crash or
            // an OOM kill): none may be taken as a first use, none may wait past the failure.
            await redis.PauseAsync();
            var adds = Enumerable.Range(0, 51).Select(i => cache.TryAddAsync($"killed-{i}", expires).AsTask()).ToArray();
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            Assert.DoesNotContain(adds, t => t.IsCompleted);
            await redis.StopAsync();

            var all = Task.WhenAll(adds);
            Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(4)))); // well before the 5-s timeout
            Assert.All(adds, add => Assert.True(add.IsFaulted, $"an add was {add.Status}, not failed, when its server died"));

            // The same port again (empty: no persistence): the cache reconnects by itself and records first uses again.
            await redis.StartAsync();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            bool? recorded = null;
            while (recorded is null && DateTime.UtcNow < deadline)
            {
                try
                {
                    recorded = await cache.TryAddAsync("after", expires);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250)); // still reconnecting: fails closed meanwhile
                }
            }

            Assert.True(recorded);
            Assert.False(await cache.TryAddAsync("after", expires));
        });
    }

    [Fact]
    public async Task A_command_Redis_refuses_fails_its_own_add_and_no_other()
    {
        await RedisServer.RunAsync(async redis =>
        {
            // A user that may write only the keys whose name starts with "ok-": Redis refuses the others' SET (NOPERM)
            // one command at a time, inside batches that hold both kinds.
            await using (var admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration))
            {
                await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "partial", "on", ">partial-secret", "&*", "+@all", "resetkeys", $"~{_bench.Prefix}ok-*");
            }

            var cache = await _bench.InstanceAsync(o => o.Configuration = redis.Configuration + ",user=partial,password=partial-secret");
            var expires = DateTimeOffset.UtcNow.AddSeconds(60);
            var adds = Enumerable.Range(0, 48).Select(i => cache.TryAddAsync(i % 2 == 0 ? $"ok-{i}" : $"denied-{i}", expires).AsTask()).ToArray();
            for (int i = 0; i < adds.Length; i++)
            {
                if (i % 2 == 0)
                {
                    Assert.True(await adds[i]);
                }
                else
                {
                    var failure = await Record.ExceptionAsync(() => adds[i]);
                    Assert.IsType<RedisServerException>(failure);
                    Assert.StartsWith("NOPERM", failure.Message, StringComparison.Ordinal);
                }
            }

            Assert.False(await cache.TryAddAsync("ok-0", expires));
        });
    }

    [Fact]
    public async Task When_Redis_refuses_the_batch_every_add_in_it_fails_and_none_is_recorded()
    {
        var cache = await _bench.InstanceAsync();
        var expires = DateTimeOffset.UtcNow.AddSeconds(60);
        Assert.True(await cache.TryAddAsync("warm-up", expires));
        var server = _bench.Inspector.GetServer(_redis.Configuration);
        await server.ConfigSetAsync("maxmemory-policy", "noeviction");
        await server.ConfigSetAsync("maxmemory", "1"); // every write refused: OOM
        try
        {
            var adds = Enumerable.Range(0, 32).Select(i => cache.TryAddAsync($"refused-{i}", expires).AsTask()).ToArray();
            foreach (var add in adds)
            {
                var failure = await Record.ExceptionAsync(() => add);
                Assert.IsType<RedisServerException>(failure);
            }
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }

        for (int i = 0; i < 32; i++)
        {
            Assert.False(await _bench.Inspector.GetDatabase().KeyExistsAsync(_bench.Prefix + $"refused-{i}"));
        }

        Assert.True(await cache.TryAddAsync("refused-0", expires)); // and Redis's next answers are taken again
    }

    [Fact]
    public async Task A_request_whose_batch_Redis_refuses_gets_503_with_Retry_After()
    {
        await using var host = await ReplayStoreHost.StartAsync(_redis);
        await host.AssertRecoversAsync(TimeSpan.FromSeconds(30));
        var server = _bench.Inspector.GetServer(_redis.Configuration);
        await server.ConfigSetAsync("maxmemory-policy", "noeviction");
        await server.ConfigSetAsync("maxmemory", "1");
        try
        {
            using var response = await host.CallAsync();
            await Problem.AssertAsync(response, "service-unavailable", HttpStatusCode.ServiceUnavailable);
            Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }
    }

    [Fact]
    public async Task An_add_given_up_while_queued_is_never_sent()
    {
        await RedisServer.RunAsync(async redis =>
        {
            var cache = await _bench.InstanceAsync(o => o.Configuration = redis.Configuration);
            var expires = DateTimeOffset.UtcNow.AddSeconds(60);
            Assert.True(await cache.TryAddAsync("warm-up", expires));
            await redis.PauseAsync();

            var inFlight = cache.TryAddAsync("in-flight", expires).AsTask(); // sent at once, unanswered
            using (var aborted = new CancellationTokenSource())
            {
                var queued = cache.TryAddAsync("aborted", expires, aborted.Token).AsTask(); // waits for the one in flight
                await aborted.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
            }

            await redis.ResumeAsync();
            Assert.True(await inFlight);
            Assert.True(await cache.TryAddAsync("after", expires)); // the next batch, once the one in flight is answered
            await using var inspector = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            Assert.False(await inspector.GetDatabase().KeyExistsAsync(_bench.Prefix + "aborted"));
            Assert.True(await cache.TryAddAsync("aborted", expires)); // the proof was refused, never recorded
        });
    }

    [Fact]
    public async Task An_add_given_up_after_it_was_sent_still_counts_and_no_later_add_of_its_key_is_a_first_use()
    {
        // Review: the request that gave up gets no answer (503 or aborted), but Redis recorded its proof: a later add
        // of the key, queued behind it, sent after the stuck batch was abandoned, or on another instance, is a replay.
        await RedisServer.RunAsync(async redis =>
        {
            var cache = await _bench.InstanceAsync(o => { o.Configuration = redis.Configuration; o.Timeout = TimeSpan.FromSeconds(1); });
            var other = await _bench.InstanceAsync(o => o.Configuration = redis.Configuration);
            var expires = DateTimeOffset.UtcNow.AddSeconds(60);
            Assert.True(await cache.TryAddAsync("warm-up", expires));
            Assert.True(await other.TryAddAsync("warm-up-other", expires));
            await redis.PauseAsync();

            Task<bool> aborted, timedOut;
            using (var abort = new CancellationTokenSource())
            {
                aborted = cache.TryAddAsync("k", expires, abort.Token).AsTask(); // sent at once
                timedOut = cache.TryAddAsync("t", expires).AsTask(); // queued behind it
                await abort.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => aborted);
            }

            await Assert.ThrowsAsync<TimeoutException>(() => timedOut); // never sent: the batch in flight held it
            var queuedBehind = cache.TryAddAsync("k", expires).AsTask(); // sent once the stuck batch is abandoned
            var onOther = other.TryAddAsync("k", expires).AsTask();
            await Task.Delay(TimeSpan.FromSeconds(0.3));
            await redis.ResumeAsync();

            bool[] later = [await SwallowTimeout(queuedBehind), await onOther];
            Assert.DoesNotContain(true, later);
            await using var inspector = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            Assert.True(await inspector.GetDatabase().KeyExistsAsync(_bench.Prefix + "k"));
        });
    }

    // An add that timed out was not answered: never a first use.
    private static async Task<bool> SwallowTimeout(Task<bool> add)
    {
        try
        {
            return await add;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    [Fact]
    public async Task While_Redis_hangs_adds_past_the_bound_are_refused_at_once()
    {
        await RedisServer.RunAsync(async redis =>
        {
            var (cache, expires) = await WarmCacheAsync(redis, TimeSpan.FromSeconds(3));
            await redis.PauseAsync();

            const int Beyond = 100;
            var stopwatch = Stopwatch.StartNew();
            var adds = Enumerable.Range(0, PendingAddPool.Capacity + Beyond).Select(i => cache.TryAddAsync($"hung-{i}", expires)).ToArray();
            var refusedAtOnce = adds.Where(a => a.IsFaulted).Select(a => a.AsTask()).ToArray();
            var waiting = adds.Where(a => !a.IsCompleted).Select(a => a.AsTask()).ToArray();
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"the adds took {stopwatch.Elapsed.TotalMilliseconds:0} ms to start");
            Assert.Equal(Beyond, refusedAtOnce.Length);
            Assert.Equal(PendingAddPool.Capacity, waiting.Length);
            foreach (var refused in refusedAtOnce)
            {
                var failure = await Record.ExceptionAsync(() => refused);
                Assert.IsType<RedisException>(failure);
                Assert.Contains("waiting for Redis already", failure.Message, StringComparison.Ordinal);
            }

            foreach (var add in waiting)
            {
                Assert.IsType<TimeoutException>(await Record.ExceptionAsync(() => add));
            }

            await redis.ResumeAsync();
            Assert.True(await cache.TryAddAsync("after", expires));
        });
    }

    [Fact]
    public async Task A_user_without_scripting_records_proofs_from_the_first_add()
    {
        await RedisServer.RunAsync(async redis =>
        {
            // A user without @scripting, as some managed services or ACLs give: the cache needs SET only.
            await using (var admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration))
            {
                await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "replay", "on", ">replay-secret", "~*", "&*", "+@all", "-@scripting");
            }

            var cache = await _bench.InstanceAsync(o => o.Configuration = redis.Configuration + ",user=replay,password=replay-secret");
            var expires = DateTimeOffset.UtcNow.AddSeconds(60);
            Assert.True(await cache.TryAddAsync("first", expires));
            Assert.False(await cache.TryAddAsync("first", expires));
            bool[] results = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => cache.TryAddAsync("race", expires).AsTask()));
            Assert.Single(results, r => r);
        });
    }
}
