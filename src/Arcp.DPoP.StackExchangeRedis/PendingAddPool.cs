namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// The <see cref="PendingAdd"/>s of one replay cache, and the one timer that enforces their timeout: it sweeps the
/// adds in flight every quarter of the timeout, so a request waits at most 1.25 × the timeout for Redis. When more
/// adds are in flight than the pool holds, the caller falls back to <c>Task.WaitAsync</c> (allocating, still bounded).
/// </summary>
internal sealed class PendingAddPool : IDisposable
{
    private const int Size = 256;
    private readonly PendingAdd[] _slots = new PendingAdd[Size];
    private readonly TimeSpan _timeout;
    private readonly Timer _sweep;
    private int _next;
    private int _inFlight;

    internal PendingAddPool(TimeSpan timeout)
    {
        _timeout = timeout;
        for (int i = 0; i < Size; i++)
        {
            _slots[i] = new PendingAdd(this, i);
        }

        // Real time, not the cache's TimeProvider: a timeout bounds real waiting (a test clock may stand still).
        var period = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 4, TimeSpan.FromMilliseconds(5).Ticks));
        using (ExecutionContext.SuppressFlow())
        {
            _sweep = new Timer(static state => ((PendingAddPool)state!).Sweep(), this, period, period);
        }
    }

    internal TimeSpan Timeout => _timeout;

    /// <summary>A free <see cref="PendingAdd"/>, or <see langword="null"/> when all are in flight.</summary>
    internal PendingAdd? Rent()
    {
        int start = Interlocked.Increment(ref _next);
        for (int i = 0; i < Size; i++)
        {
            var pending = Volatile.Read(ref _slots[(int)((uint)(start + i) % Size)]);
            if (pending.TryRent())
            {
                Interlocked.Increment(ref _inFlight);
                return pending;
            }
        }

        return null;
    }

    internal void Returned() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Puts a fresh instance in the slot of one that a late callback may still touch.</summary>
    internal void Replace(PendingAdd pending)
    {
        Volatile.Write(ref _slots[pending.Slot], new PendingAdd(this, pending.Slot));
        Interlocked.Decrement(ref _inFlight);
    }

    private void Sweep()
    {
        if (Volatile.Read(ref _inFlight) == 0)
        {
            return;
        }

        long now = Environment.TickCount64;
        foreach (var pending in _slots)
        {
            pending.ExpireIfDue(now, _timeout);
        }
    }

    public void Dispose() => _sweep.Dispose();
}
