using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Group commit of one replay cache's adds on a standalone Redis: while one round trip is in flight, the adds that
/// arrive wait in a queue, and when its answer comes they go together as ONE command, a Lua script that runs
/// <c>SET key 1 PX ttl NX</c> for each key in turn (atomic per key, as the single command was) and answers one
/// character per key. When nothing is in flight an add is sent at once: batching adds no wait on an idle server.
/// </summary>
/// <remarks>
/// <para>
/// Why: on the request path each command costs the application a socket write, a read, StackExchange.Redis's
/// completion hop to the thread pool and the thread switches between them, and costs redis-server a read, a parse and
/// a write; under load a batch pays them once for all its adds. A batch belongs to one cache, so it never mixes
/// databases or key prefixes, and it is sent only to a standalone server (on a cluster its keys would span hash
/// slots): the cache sends one <c>SET NX</c> per add otherwise.
/// </para>
/// <para>
/// A batch whose command fails fails every add in it; an answer that is not one character per key does too: no add
/// is ever taken as a first use unless Redis said so. Adds given up while queued (timed out, request aborted) are not
/// sent. At most <see cref="MaxQueued"/> adds wait in the queue (the caller refuses the rest at once) and a batch holds
/// at most <see cref="MaxBatch"/> keys, so one script never holds redis-server long. <c>NOSCRIPT</c> (the script cache
/// emptied by a restart, a failover or <c>SCRIPT FLUSH</c>) is handled by StackExchange.Redis, which loads the script
/// again and retries once. A server that refuses scripts (<c>NOPERM</c> under an ACL without <c>@scripting</c>, or
/// <c>EVALSHA</c> renamed away) fails that batch and turns batching off for good.
/// </para>
/// </remarks>
internal sealed class ReplayBatcher
{
    /// <summary>The most keys in one script call.</summary>
    internal const int MaxBatch = 256;

    /// <summary>The most adds waiting for the batch in flight to be answered.</summary>
    internal const int MaxQueued = PendingAddPool.Capacity;

    // KEYS[i] is recorded for ARGV[i] ms unless it exists; the answer has '1' (first use) or '0' (replay) per key.
    // redis.call raises on an error, and the script then answers the error alone.
    private const string Script = """
        local answer = {}
        for i = 1, #KEYS do
          answer[i] = redis.call('SET', KEYS[i], '1', 'PX', ARGV[i], 'NX') and '1' or '0'
        end
        return table.concat(answer)
        """;

    private readonly IDatabase _database;
    private readonly RedisKey _prefix;
    private readonly long _abandonAfterMilliseconds;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _queue = new();
    private Batch? _inFlight;
    private volatile bool _scriptsRefused;

    /// <param name="database">The replay keys' database, without a key prefix: the batcher writes the prefix itself.</param>
    /// <param name="prefix">The cache's key prefix.</param>
    /// <param name="timeout">The cache's timeout: a batch in flight longer than this no longer holds the next back.</param>
    /// <param name="logger">Where a server that refuses scripts is reported.</param>
    internal ReplayBatcher(IDatabase database, string prefix, TimeSpan timeout, ILogger logger)
    {
        _database = database;
        _prefix = (RedisKey)System.Text.Encoding.UTF8.GetBytes(prefix);
        _abandonAfterMilliseconds = (long)timeout.TotalMilliseconds;
        _logger = logger;
    }

    /// <summary>Whether adds to <paramref name="multiplexer"/> are batched: a standalone server that takes scripts.</summary>
    internal bool Accepts(IConnectionMultiplexer multiplexer) =>
        !_scriptsRefused && multiplexer.GetHashSlot(_prefix) == -1; // -1: no hash slots, not a cluster or a proxy

    /// <summary>
    /// Queues the add named by <paramref name="add"/> and <paramref name="state"/>, and sends it at once when no batch
    /// is in flight. <see langword="false"/> when <see cref="MaxQueued"/> adds are queued already.
    /// </summary>
    internal bool TryEnqueue(PendingAdd add, long state, string key, long timeToLiveMilliseconds)
    {
        Batch? start;
        lock (_gate)
        {
            if (_queue.Count >= MaxQueued)
            {
                return false;
            }

            _queue.Enqueue(new Entry(add, state, key, timeToLiveMilliseconds));
            if (_inFlight is not null)
            {
                return true; // goes with the next batch, when this one is answered
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

    // Sends batch after batch until one is in flight, or none is left (a command that fails at once is answered at once).
    private void Send(Batch? batch)
    {
        while (batch is not null)
        {
            Task<RedisResult> answer;
            try
            {
                var keys = new RedisKey[batch.Count];
                var values = new RedisValue[batch.Count];
                for (int i = 0; i < batch.Count; i++)
                {
                    ref readonly var entry = ref batch.Entries[i];
                    keys[i] = ((RedisKey)entry.Key).Prepend(_prefix); // the prefix's bytes, then the key's: no string made
                    values[i] = entry.TimeToLiveMilliseconds;
                }

                // EVALSHA once the script is known to the server (StackExchange.Redis loads it first, and again after NOSCRIPT).
                answer = _database.ScriptEvaluateAsync(Script, keys, values);
            }
            catch (Exception ex)
            {
                answer = Task.FromException<RedisResult>(ex); // failed before it was sent: the batch fails, the queue goes on
            }

            batch.Answer = answer;
            if (!answer.IsCompleted)
            {
                // StackExchange.Redis completes its tasks with continuations run asynchronously: Answered runs on
                // the thread pool, never on its socket reader.
                answer.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(batch.OnAnswered);
                return;
            }

            var next = Advance(batch);
            Complete(batch, answer, runLastInline: false); // on the caller's thread: no request goes on here
            batch = next;
        }
    }

    private void Answered(Batch batch)
    {
        Send(Advance(batch)); // the next batch goes to Redis before this one's requests go on
        Complete(batch, batch.Answer!, runLastInline: true);
    }

    // The batch after an answered one, now in flight, or null (none queued, or the answered one was abandoned).
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

    private void Complete(Batch batch, Task<RedisResult> answer, bool runLastInline)
    {
        Exception? failure = null;
        byte[]? firstUses = null;
        if (answer.IsCompletedSuccessfully)
        {
            var result = answer.Result;
            firstUses = result.Resp2Type == ResultType.BulkString ? (byte[]?)result : null;
            if (firstUses is null || firstUses.Length != batch.Count || firstUses.AsSpan().ContainsAnyExcept((byte)'0', (byte)'1'))
            {
                failure = new RedisException($"Redis answered the replay script with {result.Resp2Type}, not one character per key: no add of the batch is taken as a first use.");
            }
        }
        else
        {
            failure = answer.Exception?.InnerException ?? new TaskCanceledException(answer);
            if (IsScriptRefusal(failure) && !_scriptsRefused)
            {
                _scriptsRefused = true;
                RedisLog.ScriptsRefused(_logger, failure);
            }
        }

        // Each request goes on on the thread pool, but the last, which goes on here: this thread is the thread pool's
        // already (StackExchange.Redis's completion), and one request fewer is queued.
        int inline = -1;
        if (runLastInline)
        {
            for (int i = batch.Count - 1; i >= 0; i--)
            {
                if (batch.Entries[i].Add.IsWaiting(batch.Entries[i].State))
                {
                    inline = i;
                    break;
                }
            }
        }

        for (int i = 0; i < batch.Count; i++)
        {
            ref readonly var entry = ref batch.Entries[i];
            if (failure is not null)
            {
                entry.Add.TryFail(entry.State, failure, runContinuationAsynchronously: i != inline);
            }
            else
            {
                entry.Add.TryComplete(entry.State, firstUses![i] == (byte)'1', runContinuationAsynchronously: i != inline);
            }
        }
    }

    // A server that will not run the script at all: an ACL without @scripting, or EVAL/EVALSHA renamed or disabled.
    private static bool IsScriptRefusal(Exception failure) =>
        failure is RedisCommandException ||
        (failure is RedisServerException && (failure.Message.StartsWith("NOPERM", StringComparison.Ordinal) ||
                                             failure.Message.StartsWith("ERR unknown command", StringComparison.Ordinal)));

    private readonly record struct Entry(PendingAdd Add, long State, string Key, long TimeToLiveMilliseconds);

    private sealed class Batch
    {
        internal Batch(ReplayBatcher owner, Entry[] entries, int count, long startedAt)
        {
            Entries = entries;
            Count = count;
            StartedAt = startedAt;
            OnAnswered = () => owner.Answered(this);
        }

        internal Entry[] Entries { get; }

        internal int Count { get; }

        internal long StartedAt { get; }

        internal Action OnAnswered { get; }

        internal Task<RedisResult>? Answer { get; set; }
    }
}
