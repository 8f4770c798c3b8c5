using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Arcp.DPoP.StackExchangeRedis;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// The replay check: the in-memory cache against a real redis-server on loopback (started here, on a free port),
/// one add at a time (latency) and 64 at once (throughput: divide by the per-operation time).
/// Needs the redis-server binary on PATH.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ReplayCacheBenchmarks
{
    private const int Concurrent = 64;
    private Process? _redis;
    private RedisDPoPReplayCache _redisCache = null!;
    private InMemoryDPoPReplayCache _memoryCache = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        _redis = Process.Start(new ProcessStartInfo("redis-server", $"--port {port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start");
        Thread.Sleep(500);
        _redisCache = new RedisDPoPReplayCache(
            Options.Create(new RedisDPoPReplayCacheOptions { Configuration = $"127.0.0.1:{port}" }),
            TimeProvider.System,
            new ServiceCollection().BuildServiceProvider());
        _memoryCache = new InMemoryDPoPReplayCache(TimeProvider.System);
        _redisCache.ConnectAsync().GetAwaiter().GetResult();
        _redisCache.TryAddAsync("warm-up", DateTimeOffset.UtcNow.AddSeconds(65)).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _redisCache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _redis?.Kill();
        _redis?.Dispose();
    }

    private string NextKey() => "k" + Interlocked.Increment(ref _counter).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Benchmark(Baseline = true)]
    public ValueTask<bool> InMemoryTryAdd() => _memoryCache.TryAddAsync(NextKey(), DateTimeOffset.UtcNow.AddSeconds(65));

    /// <summary>One SET NX PX round trip to local Redis.</summary>
    [Benchmark]
    public ValueTask<bool> RedisTryAdd() => _redisCache.TryAddAsync(NextKey(), DateTimeOffset.UtcNow.AddSeconds(65));

    /// <summary>64 concurrent adds (pipelined on one connection); the reported time is per add.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent)]
    public async Task RedisTryAdd64Concurrent()
    {
        var tasks = new Task<bool>[Concurrent];
        var expires = DateTimeOffset.UtcNow.AddSeconds(65);
        for (int i = 0; i < Concurrent; i++)
        {
            tasks[i] = _redisCache.TryAddAsync(NextKey(), expires).AsTask();
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
