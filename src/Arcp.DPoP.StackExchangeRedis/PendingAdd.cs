using System.Globalization;
using System.Threading.Tasks.Sources;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// One replay add waiting for Redis's answer to its <c>SET NX</c>, at most until its deadline and no longer than the
/// request wants (its <c>RequestAborted</c>). Reused through <see cref="PendingAddPool"/>: a request waiting for Redis
/// allocates nothing here, where <c>Task.WaitAsync(timeout, token)</c> costs a promise, a timer and an async box.
/// </summary>
/// <remarks>
/// Three things race to complete it: Redis's answer, the pool's timeout sweep and the request's cancellation. The
/// first to move <see cref="_state"/> from pending to completed wins; the state carries a generation, so a sweep that
/// read an earlier use can never complete a later one. An instance is reused only when Redis's answer won and the
/// cancellation callback can no longer run; otherwise a late callback could still touch it, and the pool replaces it.
/// </remarks>
internal sealed class PendingAdd : IValueTaskSource<bool>
{
    private readonly PendingAddPool _pool;
    private readonly Action _onAnswered;
    private ManualResetValueTaskSourceCore<bool> _core;
    private Task<bool>? _command;
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _cancellation;
    private bool _registered;
    private bool _answeredFirst;
    private long _deadline = long.MaxValue; // Environment.TickCount64
    private long _state; // generation << 1, | 1 once completed
    private int _rented;

    internal PendingAdd(PendingAddPool pool, int slot)
    {
        _pool = pool;
        Slot = slot;
        _onAnswered = OnAnswered;
    }

    internal int Slot { get; }

    internal bool TryRent() => Interlocked.CompareExchange(ref _rented, 1, 0) == 0;

    /// <summary>Waits for <paramref name="command"/>, at most the pool's timeout, while the request wants it.</summary>
    internal ValueTask<bool> Start(Task<bool> command, CancellationToken cancellationToken)
    {
        _command = command;
        _cancellationToken = cancellationToken;
        Volatile.Write(ref _deadline, Environment.TickCount64 + _pool.WaitLimitMilliseconds);
        short version = _core.Version;
        if (cancellationToken.CanBeCanceled)
        {
            _registered = true;
            _cancellation = cancellationToken.UnsafeRegister(static state => ((PendingAdd)state!).Cancel(), this);
        }

        // StackExchange.Redis completes its tasks with continuations run asynchronously, so this runs on the thread
        // pool, never on its socket reader.
        command.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onAnswered);
        return new ValueTask<bool>(this, version);
    }

    /// <summary>Called by the pool's sweep: completes with a <see cref="TimeoutException"/> when past the deadline.</summary>
    internal void ExpireIfDue(long now, TimeSpan timeout)
    {
        long state = Volatile.Read(ref _state);
        if ((state & 1) != 0 || Volatile.Read(ref _rented) == 0 || now < Volatile.Read(ref _deadline) ||
            Interlocked.CompareExchange(ref _state, state | 1, state) != state)
        {
            return;
        }

        _core.RunContinuationsAsynchronously = true; // the request goes on off the timer's thread
        _core.SetException(new TimeoutException(string.Create(CultureInfo.InvariantCulture,
            $"Redis did not answer within {timeout.TotalMilliseconds:0} ms (RedisDPoPReplayCacheOptions.Timeout).")));
    }

    private void Cancel()
    {
        if (TryComplete())
        {
            _core.RunContinuationsAsynchronously = true; // not on the thread that aborted the request
            _core.SetException(new OperationCanceledException(_cancellationToken));
        }
    }

    private void OnAnswered()
    {
        var command = _command!;
        if (!TryComplete())
        {
            _ = command.Exception; // answered late, after the timeout or cancellation: observe a failure, ignore the rest
            return;
        }

        _answeredFirst = true;
        if (command.IsCompletedSuccessfully)
        {
            _core.SetResult(command.Result);
        }
        else
        {
            _core.SetException(command.Exception?.InnerException ?? new TaskCanceledException(command));
        }
    }

    private bool TryComplete()
    {
        long state = Volatile.Read(ref _state);
        return (state & 1) == 0 && Interlocked.CompareExchange(ref _state, state | 1, state) == state;
    }

    public bool GetResult(short token)
    {
        if (token != _core.Version)
        {
            throw new InvalidOperationException("This replay add's result was already taken.");
        }

        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Release();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Release()
    {
        // Unregister returns false when the callback has run or is running: then it may still touch this instance.
        // A late answer still reads _command: an instance that is not reused keeps its fields.
        bool reusable = _answeredFirst && (!_registered || _cancellation.Unregister());
        if (!reusable)
        {
            _pool.Replace(this);
            return;
        }

        _command = null;
        _cancellationToken = default;
        _cancellation = default;
        _registered = false;
        _answeredFirst = false;
        Volatile.Write(ref _deadline, long.MaxValue); // before the new generation: a sweep never sees an old deadline
        Volatile.Write(ref _state, ((Volatile.Read(ref _state) >> 1) + 1) << 1);
        _core.Reset();
        _core.RunContinuationsAsynchronously = false;
        Volatile.Write(ref _rented, 0);
        _pool.Returned();
    }
}
