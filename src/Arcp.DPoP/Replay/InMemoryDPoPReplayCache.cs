using System.Collections.Concurrent;

namespace Arcp.DPoP;

/// <summary>
/// The default <see cref="IDPoPReplayCache"/>: a process-local dictionary. Right for a single instance;
/// a web farm needs a shared store.
/// </summary>
/// <remarks>
/// The add is atomic (<see cref="ConcurrentDictionary{TKey, TValue}.TryAdd(TKey, TValue)"/>), so of many concurrent
/// requests carrying one proof exactly one is accepted. Expired entries are swept at most once per
/// <see cref="SweepInterval"/>, on the way through an add, so memory is bounded by the proofs of one acceptance window.
/// </remarks>
public sealed class InMemoryDPoPReplayCache : IDPoPReplayCache
{
    /// <summary>How often expired entries are removed.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, long> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private long _nextSweep;
    private int _sweeping;

    /// <summary>Creates the cache.</summary>
    /// <param name="timeProvider">The clock that decides when an entry has expired.</param>
    public InMemoryDPoPReplayCache(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    /// <summary>The number of entries held, expired ones included until the next sweep.</summary>
    public int Count => _entries.Count;

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        long now = _timeProvider.GetUtcNow().UtcTicks;
        SweepIfDue(now);

        long expiry = expiresAt.UtcTicks;
        while (true)
        {
            if (_entries.TryAdd(key, expiry))
            {
                return ValueTask.FromResult(true);
            }

            if (!_entries.TryGetValue(key, out long existing))
            {
                continue; // removed by a sweep in between: try the add again
            }

            if (existing > now)
            {
                return ValueTask.FromResult(false);
            }

            // An expired entry not yet swept: take it over atomically, so only one caller wins.
            if (_entries.TryUpdate(key, expiry, existing))
            {
                return ValueTask.FromResult(true);
            }
        }
    }

    private void SweepIfDue(long now)
    {
        if (now < Volatile.Read(ref _nextSweep) || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var entry in _entries)
            {
                if (entry.Value <= now)
                {
                    _entries.TryRemove(entry);
                }
            }

            Volatile.Write(ref _nextSweep, now + SweepInterval.Ticks);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}
