using System.Globalization;
using System.Threading.Tasks.Sources;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// One replay add waiting for Redis's answer, at most until its deadline and no longer than the request wants (its
/// <c>RequestAborted</c>). Reused through <see cref="PendingAddPool"/>: a request waiting for Redis allocates nothing
/// here, where <c>Task.WaitAsync(timeout, token)</c> costs a promise, a timer and an async box.
/// </summary>
/// <remarks>
/// Three things race to complete it: Redis's answer (for a whole batch, <see cref="ReplayBatcher"/>, or for its own
/// <c>SET NX</c>), the pool's timeout sweep and the request's cancellation. The first to move <see cref="_state"/>
/// from pending to completed wins. The state carries a generation, and whoever may come late (the sweep, a batch)
/// names the generation it was given, so it can never complete a later use of the same instance. The cancellation
/// callback and the answer of an add's own command cannot name one: an instance is reused only when neither can still
/// run; otherwise the pool replaces it.
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

    /// <summary>
    /// Starts waiting, at most the pool's timeout, while the request wants it; <paramref name="state"/> names this use
    /// for <see cref="TryComplete(long, bool, bool)"/> and <see cref="TryFail"/>.
    /// </summary>
    internal ValueTask<bool> Begin(CancellationToken cancellationToken, out long state)
    {
        state = Volatile.Read(ref _state);
        short version = _core.Version;
        Volatile.Write(ref _deadline, Environment.TickCount64 + _pool.WaitLimitMilliseconds);
        _cancellationToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            _registered = true;
            _cancellation = cancellationToken.UnsafeRegister(static pending => ((PendingAdd)pending!).Cancel(), this);
        }

        return new ValueTask<bool>(this, version);
    }

    /// <summary>
    /// Completes the use begun with <see cref="Begin"/> from the answer to its own command (one <c>SET NX</c>, when
    /// adds are not batched). Called right after <see cref="Begin"/>, before the caller has the value task.
    /// </summary>
    internal void CompleteWith(Task<bool> command)
    {
        _command = command;

        // StackExchange.Redis completes its tasks with continuations run asynchronously, so this runs on the thread
        // pool, never on its socket reader.
        command.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onAnswered);
    }

    /// <summary>
    /// Completes the use named by <paramref name="state"/> with Redis's answer, <paramref name="firstUse"/>, unless
    /// something else did first; <paramref name="runContinuationAsynchronously"/>: the request goes on on the thread
    /// pool rather than on this thread.
    /// </summary>
    internal bool TryComplete(long state, bool firstUse, bool runContinuationAsynchronously)
    {
        if (!TryComplete(state))
        {
            return false;
        }

        _core.RunContinuationsAsynchronously = runContinuationAsynchronously;
        _core.SetResult(firstUse);
        return true;
    }

    /// <summary>Fails the use named by <paramref name="state"/>, unless something else completed it first.</summary>
    internal bool TryFail(long state, Exception exception, bool runContinuationAsynchronously)
    {
        if (!TryComplete(state))
        {
            return false;
        }

        _core.RunContinuationsAsynchronously = runContinuationAsynchronously;
        _core.SetException(exception);
        return true;
    }

    /// <summary>Whether the use named by <paramref name="state"/> still waits.</summary>
    internal bool IsWaiting(long state) => Volatile.Read(ref _state) == state;

    /// <summary>Called by the pool's sweep: completes with a <see cref="TimeoutException"/> when past the deadline.</summary>
    internal void ExpireIfDue(long now, TimeSpan timeout)
    {
        long state = Volatile.Read(ref _state);
        if ((state & 1) != 0 || Volatile.Read(ref _rented) == 0 || now < Volatile.Read(ref _deadline))
        {
            return;
        }

        // The request goes on off the timer's thread.
        TryFail(state, new TimeoutException(string.Create(CultureInfo.InvariantCulture,
            $"Redis did not answer within {timeout.TotalMilliseconds:0} ms (RedisDPoPReplayCacheOptions.Timeout).")), runContinuationAsynchronously: true);
    }

    private void Cancel()
    {
        // Not on the thread that aborted the request.
        TryFail(Volatile.Read(ref _state), new OperationCanceledException(_cancellationToken), runContinuationAsynchronously: true);
    }

    private void OnAnswered()
    {
        var command = _command!;
        long state = Volatile.Read(ref _state);
        if (!TryComplete(state))
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

    private bool TryComplete(long state) =>
        (state & 1) == 0 && Interlocked.CompareExchange(ref _state, state | 1, state) == state;

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
        // The answer to an add's own command reads _command when it comes: an instance it did not complete is not
        // reused. A batch names the generation, so it cannot touch a later use.
        bool reusable = (_command is null || _answeredFirst) && (!_registered || _cancellation.Unregister());
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
