using System.Diagnostics.Tracing;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Arcp.DPoP.Benchmarks -- alloctypes [cache|nocache]</c>: which types
/// <see cref="AuthenticateBenchmarks"/>' accepted requests allocate, as shares of the bytes. Sampled, not exact: the
/// runtime's allocation tick names the type of the object that crossed each ~100 KB of allocations, over 60 000
/// requests (about 9 000 samples); multiply a share by the <c>allocations</c> command's bytes per request.
/// </summary>
internal static class AllocTypes
{
    private const int Requests = 60_000;

    public static int Run(bool cache)
    {
        var benchmarks = new AuthenticateBenchmarks { CacheValidatedTokens = cache };
        benchmarks.Setup();
        for (int i = 0; i < 2_000; i++)
        {
            _ = benchmarks.Authenticate().GetAwaiter().GetResult();
        }

        Dictionary<string, long> samples;
        using (var listener = new AllocationTicks())
        {
            for (int i = 0; i < Requests; i++)
            {
                _ = benchmarks.Authenticate().GetAwaiter().GetResult();
            }

            samples = listener.Snapshot();
        }

        long total = samples.Values.Sum();
        Console.WriteLine($"share  samples  type (cache={cache}, {total} samples)");
        foreach (var (type, count) in samples.OrderByDescending(s => s.Value).Take(60))
        {
            Console.WriteLine($"{count * 100.0 / total,5:F2}% {count,8} {type}");
        }

        benchmarks.Cleanup();
        return 0;
    }

    private sealed class AllocationTicks : EventListener
    {
        private readonly Dictionary<string, long> _samples = [];

        public Dictionary<string, long> Snapshot()
        {
            lock (_samples)
            {
                return new Dictionary<string, long>(_samples);
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: GCAllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not ("GCAllocationTick_V4" or "GCAllocationTick_V3") || eventData.PayloadNames is null)
            {
                return;
            }

            string type = eventData.Payload![eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            lock (_samples)
            {
                _samples[type] = _samples.GetValueOrDefault(type) + 1;
            }
        }
    }
}
