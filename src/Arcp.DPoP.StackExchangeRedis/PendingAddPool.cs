namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// The <see cref="PendingAdd"/>s of one replay cache, at most <see cref="Capacity"/>, made as they are first needed,
/// and the one timer that enforces their timeout: it sweeps the adds in flight every eighth of the timeout and gives
/// up on those waiting longer than the timeout less one period, so a request waits for Redis between 7/8 of the
/// timeout and the timeout, never longer (as with a timer of its own, a busy thread pool may fire the sweep late).
/// </summary>
/// <remarks>
/// The capacity bounds the memory held for a slow or hung Redis: when every add is in flight, <see cref="Rent"/>
/// returns <see langword="null"/> and the caller refuses the add at once (the request gets its 503 without waiting).
/// </remarks>
internal sealed class PendingAddPool : IDisposable
{
    /// <summary>The most adds that wait for Redis at once, per cache.</summary>
    internal const int Capacity = 4096;

    private readonly PendingAdd?[] _slots = new PendingAdd?[Capacity];
    private readonly Lock _growing = new();
    private readonly TimeSpan _timeout;
    private readonly Timer _sweep;
    private int _count;
    private int _next;
    private int _inFlight;

    internal PendingAddPool(TimeSpan timeout)
    {
        _timeout = timeout;

        // Real time, not the cache's TimeProvider: a timeout bounds real waiting (a test clock may stand still).
        var period = TimeSpan.FromTicks(Math.Max(timeout.Ticks / 8, TimeSpan.FromMilliseconds(1).Ticks));
        WaitLimitMilliseconds = Math.Max(1, (long)(timeout - period).TotalMilliseconds);
        using (ExecutionContext.SuppressFlow())
        {
            _sweep = new Timer(static state => ((PendingAddPool)state!).Sweep(), this, period, period);
        }
    }

    internal TimeSpan Timeout => _timeout;

    /// <summary>How long after its start an add is given up at the first sweep that finds it: the timeout less one period.</summary>
    internal long WaitLimitMilliseconds { get; }

    /// <summary>Runs at every sweep, after the adds past their deadline were given up (the batcher's watchdog).</summary>
    internal Action<long>? OnSweep { get; set; }

    /// <summary>A free <see cref="PendingAdd"/>, or <see langword="null"/> when <see cref="Capacity"/> are in flight.</summary>
    internal PendingAdd? Rent()
    {
        int count = Volatile.Read(ref _count);
        if (count > 0)
        {
            int start = Interlocked.Increment(ref _next);
            for (int i = 0; i < count; i++)
            {
                var pending = Volatile.Read(ref _slots[(int)((uint)(start + i) % (uint)count)])!;
                if (pending.TryRent())
                {
                    Interlocked.Increment(ref _inFlight);
                    return pending;
                }
            }
        }

        lock (_growing)
        {
            if (_count == Capacity)
            {
                return null;
            }

            var added = new PendingAdd(this, _count);
            added.TryRent();
            Volatile.Write(ref _slots[_count], added);
            Volatile.Write(ref _count, _count + 1); // after the slot: a reader of the count finds every slot filled
            Interlocked.Increment(ref _inFlight);
            return added;
        }
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
        int count = Volatile.Read(ref _count);
        for (int i = 0; i < count; i++)
        {
            Volatile.Read(ref _slots[i])!.ExpireIfDue(now, _timeout);
        }

        OnSweep?.Invoke(now);
    }

    public void Dispose() => _sweep.Dispose();
}
