namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// The <see cref="PendingAdd"/>s of one replay cache, and the one timer that enforces their timeout: it sweeps the
/// adds in flight every eighth of the timeout and gives up on those waiting longer than the timeout less one period,
/// so a request waits for Redis between 7/8 of the timeout and the timeout, never longer (as with a timer of its own,
/// a busy thread pool may fire the sweep late). When more adds are in flight than the pool holds, the caller falls
/// back to <c>Task.WaitAsync</c> (allocating, same bound).
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
