using Arcp.DPoP.StackExchangeRedis;
using StackExchange.Redis;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Review: on a cluster or behind a proxy the keys of one batch could span hash slots and replies need not come in
/// order, so the replay cache never batches there; each add is its own <c>SET NX</c>, and exactly one of concurrent
/// adds of a key wins all the same.
/// </summary>
public sealed class RedisClusterReplayTests
{
    [Fact]
    public async Task On_a_cluster_adds_are_not_batched_and_exactly_one_of_concurrent_adds_wins()
    {
        string nodes = Path.Combine(Path.GetTempPath(), "arcp-cluster-" + Guid.NewGuid().ToString("N") + ".conf");
        var redis = new RedisServer(["--cluster-enabled", "yes", "--cluster-config-file", nodes, "--cluster-announce-ip", "127.0.0.1"]);
        await redis.StartAsync();
        try
        {
            await using (var admin = await ConnectionMultiplexer.ConnectAsync(redis.Configuration))
            {
                await admin.GetServer(redis.Configuration).ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
                var deadline = DateTime.UtcNow.AddSeconds(15);
                while (!((string?)await admin.GetServer(redis.Configuration).ExecuteAsync("CLUSTER", "INFO"))!.Contains("cluster_state:ok", StringComparison.Ordinal))
                {
                    Assert.True(DateTime.UtcNow < deadline, "the one-node cluster did not become ready");
                    await Task.Delay(100);
                }
            }

            await using var cluster = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            Assert.Equal(ServerType.Cluster, cluster.GetServer(redis.Configuration).ServerType);
            Assert.False(new ReplayBatcher(cluster.GetDatabase(), "replay:", TimeSpan.FromSeconds(1)).Accepts(cluster));

            await AssertExactlyOnceAsync(redis.Configuration, redis.Configuration);
        }
        finally
        {
            await redis.StopAsync();
            File.Delete(nodes);
        }
    }

    [Fact]
    public async Task Behind_a_proxy_adds_are_not_batched_and_exactly_one_of_concurrent_adds_wins()
    {
        await RedisServer.RunAsync(async redis =>
        {
            string proxied = redis.Configuration + ",proxy=Twemproxy";
            await using var proxy = await ConnectionMultiplexer.ConnectAsync(proxied);
            Assert.False(new ReplayBatcher(proxy.GetDatabase(), "replay:", TimeSpan.FromSeconds(1)).Accepts(proxy));
            await using var standalone = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            Assert.True(new ReplayBatcher(standalone.GetDatabase(), "replay:", TimeSpan.FromSeconds(1)).Accepts(standalone));

            await AssertExactlyOnceAsync(proxied, redis.Configuration);
        });
    }

    private static async Task AssertExactlyOnceAsync(string configuration, string inspect)
    {
        string prefix = "replay:" + Guid.NewGuid().ToString("N") + ":";
        await using var instances = new ReplayCacheInstances();
        var caches = new[] { await instances.StartAsync(configuration, prefix), await instances.StartAsync(configuration, prefix) };

        var expires = DateTimeOffset.UtcNow.AddSeconds(60);
        var adds = Enumerable.Range(0, 4).SelectMany(_ => Enumerable.Range(0, 100).SelectMany(k => caches.Select(c => (k, c.TryAddAsync($"key-{k}", expires).AsTask())))).ToArray();
        await Task.WhenAll(adds.Select(a => a.Item2));
        foreach (var group in adds.GroupBy(a => a.k))
        {
            Assert.Equal(1, group.Count(a => a.Item2.Result));
        }

        await using var inspector = await ConnectionMultiplexer.ConnectAsync(inspect);
        Assert.True(await inspector.GetDatabase().KeyExistsAsync(prefix + "key-0"));
    }
}
