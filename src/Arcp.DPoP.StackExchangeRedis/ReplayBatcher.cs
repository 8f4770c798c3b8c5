using StackExchange.Redis;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Group commit of one replay cache's adds on a standalone Redis: while one batch is in flight, the adds that arrive
/// wait in a queue, and when its answer comes they are sent together, one <c>SET key 1 PX ttl NX</c> per add written
/// back to back on the one connection (a pipeline), and answered together once the last reply is in. When nothing is
/// in flight (or queued to be sent) an add is sent at once: batching adds no wait on an idle server.
/// </summary>
/// <remarks>
/// <para>
/// Why: on the request path what costs most is not the command but the thread switches around it. A batch pays one
/// completion (StackExchange.Redis's hop to the thread pool) for all its adds. On redis-server a plain
/// <c>SET NX</c> costs less than half what the same <c>SET</c> costs called from a Lua script (the batches were one
/// <c>EVALSHA</c> before), and the pipelined commands of a batch arrive and are answered in few reads and writes.
/// </para>
/// <para>
/// Replies on one connection come in the order the commands were written, so when the batch's last command is
/// answered every one before it is too (when one is not, e.g. completions moved off the reader by
/// <c>PreventThreadTheft</c>, the batch waits for it). Each add is its own <c>SET NX</c>, atomic on the server: it is
/// a first use only when Redis said so for it, and a command that fails fails its add (a whole batch fails together
/// when Redis is down or refuses writes). A batch belongs to one cache, so it never mixes databases or key prefixes,
/// and it is used only on a standalone server (on a cluster the cache sends each add on its own). Adds given up while
/// queued (timed out, request aborted) are not sent. At most <see cref="MaxQueued"/> adds wait in the queue (the
/// caller refuses the rest at once) and a batch holds at most <see cref="MaxBatch"/> adds.
/// </para>
/// <para>
/// When an answer comes with adds queued, the next batch is not sent from the completing thread before the answered
/// batch's requests go on, but from a work item queued on the thread pool's global queue: the adds that reach the
/// queue while the answered requests are handed on go in the same batch. Under load that made batches larger
/// (6.2–6.4 commands per redis-server read against 5.3) and cut redis-server's CPU per request by about 1.5 µs
/// (docs/performance.md); an add that finds nothing in flight is still sent at once.
/// </para>
/// </remarks>
internal sealed class ReplayBatcher : IThreadPoolWorkItem
{
    /// <summary>The most adds in one batch.</summary>
    internal const int MaxBatch = 256;

    /// <summary>The most adds waiting for the batch in flight to be answered.</summary>
    internal const int MaxQueued = PendingAddPool.Capacity;

    private readonly IDatabase _database;
    private readonly RedisKey _prefix;
    private readonly long _abandonAfterMilliseconds;
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _queue = new();
    private Batch? _inFlight;
    private bool _sendQueued; // a work item will send the queue's next batch (Execute): nothing else sends meanwhile

    /// <param name="database">The replay keys' database, without a key prefix: the batcher writes the prefix itself.</param>
    /// <param name="prefix">The cache's key prefix.</param>
    /// <param name="timeout">The cache's timeout: a batch in flight longer than this no longer holds the next back.</param>
    internal ReplayBatcher(IDatabase database, string prefix, TimeSpan timeout)
    {
        _database = database;
        _prefix = (RedisKey)System.Text.Encoding.UTF8.GetBytes(prefix);
        _abandonAfterMilliseconds = (long)timeout.TotalMilliseconds;
    }

    /// <summary>Whether adds to <paramref name="multiplexer"/> are batched: a standalone server, one ordered connection.</summary>
    internal bool Accepts(IConnectionMultiplexer multiplexer) =>
        multiplexer.GetHashSlot(_prefix) == -1; // -1: no hash slots, not a cluster or a proxy

    /// <summary>
    /// Queues the add named by <paramref name="add"/> and <paramref name="state"/>, and sends it at once when no batch
    /// is in flight and no send is queued. <see langword="false"/> when <see cref="MaxQueued"/> adds are queued already.
    /// </summary>
    internal bool TryEnqueue(PendingAdd add, long state, string key, TimeSpan timeToLive)
    {
        Batch? start;
        lock (_gate)
        {
            if (_queue.Count >= MaxQueued)
            {
                return false;
            }

            _queue.Enqueue(new Entry(add, state, key, timeToLive));
            if (_inFlight is not null || _sendQueued)
            {
                return true; // goes with the next batch: when the one in flight is answered, or the queued send runs
            }

            start = _inFlight = TakeBatch();
        }

        Send(start);
        return true;
    }

    /// <summary>
    /// Called at every timeout sweep: a batch in flight for longer than the timeout (all its adds given up already)
    /// no longer holds the queue back; its late answer is ignored.
    /// </summary>
    internal void AbandonIfStuck(long now)
    {
        Batch? next;
        lock (_gate)
        {
            if (_inFlight is null || now - _inFlight.StartedAt < _abandonAfterMilliseconds)
            {
                return;
            }

            next = _inFlight = TakeBatch();
        }

        Send(next);
    }

    // Under _gate: the next batch from the queue, without the adds already given up, or null when none is left.
    private Batch? TakeBatch()
    {
        Entry[]? entries = null;
        int count = 0;
        while (count < MaxBatch && _queue.TryDequeue(out var entry))
        {
            if (!entry.Add.IsWaiting(entry.State))
            {
                continue; // timed out or aborted while queued: not sent
            }

            entries ??= new Entry[Math.Min(MaxBatch, _queue.Count + 1)];
            entries[count++] = entry;
        }

        return entries is null ? null : new Batch(this, entries, count, Environment.TickCount64);
    }

    // Sends batch after batch until one is in flight, or none is left (commands that fail at once are answered at once).
    private void Send(Batch? batch)
    {
        while (batch is not null)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                ref readonly var entry = ref batch.Entries[i];
                try
                {
                    // The prefix's bytes, then the key's: no string made. Written to the connection's pipe at once,
                    // behind the batch's earlier commands.
                    batch.Answers[i] = _database.StringSetAsync(((RedisKey)entry.Key).Prepend(_prefix), RedisDPoPReplayCache.Used,
                        entry.TimeToLive, When.NotExists);
                }
                catch (Exception ex)
                {
                    batch.Answers[i] = Task.FromException<bool>(ex); // failed before it was sent: this add fails
                }
            }

            if (batch.AwaitUnanswered())
            {
                return; // in flight: Answered runs on the thread pool when the last reply is in
            }

            var next = Advance(batch);
            batch.Complete(firstOnThisThread: false); // on a request's thread (commands that failed before they were sent)
            batch = next;
        }
    }

    private void Answered(Batch batch)
    {
        if (batch.AwaitUnanswered())
        {
            return; // a reply completed out of order: back here once it is in
        }

        bool sendQueued;
        lock (_gate)
        {
            sendQueued = false;
            if (ReferenceEquals(_inFlight, batch)) // else abandoned (AbandonIfStuck): a later batch is in flight already
            {
                _inFlight = null;
                sendQueued = _sendQueued = _queue.Count > 0;
            }
        }

        if (sendQueued)
        {
            // Behind the work already queued, not at once: the adds that arrive meanwhile go in the same batch.
            // This batcher is the work item (one send is queued at a time): nothing allocated for it.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        batch.Complete(firstOnThisThread: true); // this thread is the thread pool's already (StackExchange.Redis's completion)
    }

    // The work item Answered queues: the queue's next batch (with every add that arrived until now) goes to Redis.
    void IThreadPoolWorkItem.Execute()
    {
        Batch? next;
        lock (_gate)
        {
            _sendQueued = false;
            if (_inFlight is not null)
            {
                return; // cannot happen (nothing else sends while a send is queued); the batch in flight takes the queue
            }

            next = _inFlight = TakeBatch();
        }

        Send(next);
    }

    // The batch after one answered at once by Send (its commands failed before they were sent), now in flight, or null
    // (none queued, or that one was abandoned meanwhile).
    private Batch? Advance(Batch answered)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_inFlight, answered))
            {
                return null;
            }

            return _inFlight = TakeBatch();
        }
    }

    private readonly record struct Entry(PendingAdd Add, long State, string Key, TimeSpan TimeToLive);

    private sealed class Batch
    {
        internal Batch(ReplayBatcher owner, Entry[] entries, int count, long startedAt)
        {
            Entries = entries;
            Count = count;
            StartedAt = startedAt;
            Answers = new Task<bool>[count];
            OnAnswered = () => owner.Answered(this);
        }

        internal Entry[] Entries { get; }

        internal int Count { get; }

        internal long StartedAt { get; }

        /// <summary>Each add's own <c>SET NX</c>: true when Redis recorded the key (a first use).</summary>
        internal Task<bool>[] Answers { get; }

        internal Action OnAnswered { get; }

        // When a command is still unanswered, OnAnswered is set to run when it is, and true. The last is looked at
        // first: replies come in order, so once it is answered the others are.
        internal bool AwaitUnanswered()
        {
            for (int i = Count - 1; i >= 0; i--)
            {
                if (!Answers[i].IsCompleted)
                {
                    // StackExchange.Redis completes its tasks with continuations run asynchronously: OnAnswered runs
                    // on the thread pool, never on its socket reader.
                    Answers[i].ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnAnswered);
                    return true;
                }
            }

            return false;
        }

        // Completes every add with its own command's answer: each on a work item of its own, the first last and, when
        // firstOnThisThread, on this thread. Never several requests one after the other on one thread: a request that
        // blocks its thread before its next await would hold back the others (running them in chunks of four saved a
        // few µs of CPU per request in one measurement and nothing in another; not worth that risk). A batch holds at
        // least one add (TakeBatch).
        internal void Complete(bool firstOnThisThread)
        {
            for (int i = 1; i < Count; i++)
            {
                Complete(i, runContinuationAsynchronously: true);
            }

            Complete(0, runContinuationAsynchronously: !firstOnThisThread);
        }

        private void Complete(int index, bool runContinuationAsynchronously)
        {
            ref readonly var entry = ref Entries[index];
            var answer = Answers[index];
            if (answer.IsCompletedSuccessfully)
            {
                entry.Add.TryComplete(entry.State, answer.Result, runContinuationAsynchronously);
            }
            else
            {
                entry.Add.TryFail(entry.State, answer.Exception?.InnerException ?? new TaskCanceledException(answer), runContinuationAsynchronously);
            }
        }
    }
}
