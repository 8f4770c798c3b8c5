using System.Diagnostics;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Arcp.DPoP.Benchmarks -- allocations</c>: bytes allocated per request by
/// <see cref="AuthenticateBenchmarks"/>'s requests, counted with <see cref="GC.GetTotalAllocatedBytes(bool)"/> over
/// 20 000 requests after a warm-up, without and with the token cache, without and with a listener on the
/// <c>Arcp.DPoP</c> activity source. Exact whatever the machine's load: a quick check between two BenchmarkDotNet runs.
/// </summary>
internal static class AllocationReport
{
    private const int Requests = 20_000;

    public static int Run()
    {
        Console.WriteLine("bytes per request     Authenticate  NoCredentials");
        foreach (bool cache in new[] { false, true })
        {
            foreach (bool traced in new[] { false, true })
            {
                var benchmarks = new AuthenticateBenchmarks { CacheValidatedTokens = cache };
                benchmarks.Setup();
                using var listener = traced ? Listen() : null;
                for (int i = 0; i < 2_000; i++)
                {
                    _ = benchmarks.Authenticate().GetAwaiter().GetResult();
                    _ = benchmarks.NoCredentials().GetAwaiter().GetResult();
                }

                long authenticate = PerRequest(() => benchmarks.Authenticate().GetAwaiter().GetResult());
                long none = PerRequest(() => benchmarks.NoCredentials().GetAwaiter().GetResult());
                Console.WriteLine($"cache={cache,-5} traced={traced,-5} {authenticate,12:N0} {none,14:N0}");
                benchmarks.Cleanup();
            }
        }

        return 0;
    }

    private static long PerRequest(Action request)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Requests; i++)
        {
            request();
        }

        return (GC.GetTotalAllocatedBytes(precise: true) - before) / Requests;
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DPoPDefaults.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
