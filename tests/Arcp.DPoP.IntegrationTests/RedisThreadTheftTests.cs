using Arcp.DPoP.StackExchangeRedis;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Review: with StackExchange.Redis's PreventThreadTheft (a process-wide switch some applications set), each command's
/// task is completed on a thread-pool work item of its own, so the tasks of one batch can complete in any order. The
/// batch must wait for every one of them, not only its last. Alone in its collection: the switch is process-wide.
/// </summary>
[Collection(RedisThreadTheftTests.Collection)]
public sealed class RedisThreadTheftTests : IAsyncLifetime
{
    internal const string Collection = "StackExchange.Redis feature flags";

    private readonly RedisServer _redis = new();
    private ReplayCacheBench _bench = null!;

    public async Task InitializeAsync()
    {
        await _redis.StartAsync();
        _bench = await ReplayCacheBench.StartAsync(_redis, "theft");
    }

    public async Task DisposeAsync()
    {
        await _bench.DisposeAsync();
        await _redis.StopAsync();
    }

    [Fact]
    public async Task With_completions_moved_off_the_reader_each_add_of_a_batch_still_gets_its_own_answer()
    {
        // PreventThreadTheft: StackExchange.Redis completes each command's task on the thread pool, so the tasks of a
        // batch may complete in any order; a batch is answered only when every one of its commands is.
        ConnectionMultiplexer.SetFeatureFlag("preventthreadtheft", true);
        try
        {
            var cache = await _bench.InstanceAsync();
            var expires = DateTimeOffset.UtcNow.AddSeconds(120);
            var db = _bench.Inspector.GetDatabase();
            // Many rounds: the completions race on the thread pool, and a batch answered at its last reply (only) takes
            // an earlier command's unfinished task for a failure within a few dozen.
            for (int round = 0; round < 150; round++)
            {
                for (int k = 0; k < 256; k += 2)
                {
                    await db.StringSetAsync(_bench.Prefix + $"theft-{round}-{k}", "1", TimeSpan.FromSeconds(120)); // every other key used already
                }

                bool[] added = await Task.WhenAll(Enumerable.Range(0, 256).Select(k => cache.TryAddAsync($"theft-{round}-{k}", expires).AsTask()));
                for (int k = 0; k < 256; k++)
                {
                    Assert.Equal(k % 2 != 0, added[k]);
                }
            }
        }
        finally
        {
            ConnectionMultiplexer.SetFeatureFlag("preventthreadtheft", false);
        }
    }
}

[CollectionDefinition(RedisThreadTheftTests.Collection, DisableParallelization = true)]
public sealed class RedisFeatureFlagsGroup;
