using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StackExchange.Redis.KeyspaceIsolation;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// An <see cref="IDPoPReplayCache"/> shared by every instance of a web farm: each proof is recorded with an atomic
/// <c>SET key 1 NX PX ttl</c>, so of any number of concurrent uses on any instances exactly one succeeds, and the
/// entry lives exactly as long as the proof could be accepted.
/// </summary>
/// <remarks>
/// <para>
/// Group commit: on a standalone Redis, an add is sent at once when no round trip is in flight; the adds that arrive
/// while one is are sent together when it is answered, one <c>SET key 1 PX ttl NX</c> each written back to back on the
/// connection, and answered together when the last reply is in. Under load one completion serves many requests; when
/// idle nothing waits. A batch holds one cache's adds only (one database, one key prefix) and at most 256. Each add is
/// a first use only when Redis answered its own <c>SET</c> so; a command that fails fails its add. No script runs: a
/// Redis user needs <c>SET</c> only. On a cluster or behind a proxy (keys of a batch would span hash slots, replies
/// would not come in order) each add is sent on its own.
/// </para>
/// <para>
/// When Redis cannot answer (down, unreachable, hung) <see cref="TryAddAsync"/> throws and the handler refuses the
/// request with a 503 and <c>Retry-After</c>: no proof is accepted unchecked. No request waits longer than
/// <see cref="RedisDPoPReplayCacheOptions.Timeout"/> for Redis, and an aborted request stops waiting at once (and is
/// not sent when it was still queued). At most 4096 adds wait for Redis at once; past that an add fails at once, so a
/// slow or hung Redis cannot make memory grow without bound.
/// </para>
/// <para>
/// The connection is opened outside the request path: <c>AddDPoPRedisReplayCache</c> registers a hosted service that
/// starts <see cref="ConnectAsync"/> in the background when the application starts (used on its own, call
/// <see cref="ConnectAsync"/> first). Until it is connected, and whenever the connection is down, the replay check
/// fails at once. A connection this cache opens itself does not abort when Redis is down at startup, fails commands
/// fast while disconnected (<see cref="BacklogPolicy.FailFast"/>) and reconnects by itself, so requests succeed again
/// when Redis returns, without a restart.
/// </para>
/// </remarks>
public sealed class RedisDPoPReplayCache : IDPoPReplayCache, IAsyncDisposable
{
    /// <summary>The value of every replay key: only its existence and time-to-live matter.</summary>
    internal static readonly RedisValue Used = "1";
    private static readonly TimeSpan MinimumTimeToLive = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(10);

    private readonly RedisDPoPReplayCacheOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _gate = new();
    private Task? _connecting;
    private readonly PendingAddPool _pending;
    private ReplayConnection? _connection;
    private bool _ownsConnection;

    /// <summary>Creates the cache.</summary>
    /// <param name="options">Where Redis is, how keys are named, how long to wait for it.</param>
    /// <param name="timeProvider">The clock that turns expiry times into time-to-live.</param>
    /// <param name="services">Resolves an <see cref="IConnectionMultiplexer"/> when the options give no connection, and the logger.</param>
    public RedisDPoPReplayCache(IOptions<RedisDPoPReplayCacheOptions> options, TimeProvider timeProvider, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(services);
        _options = options.Value;
        _timeProvider = timeProvider;
        _services = services;
        _logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<RedisDPoPReplayCache>();
        _pending = new PendingAddPool(_options.Timeout);
        _pending.OnSweep = now => Volatile.Read(ref _connection)?.Batcher.AbandonIfStuck(now);
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        ReplayConnection connection;
        try
        {
            connection = Connected();
        }
        catch (RedisException ex)
        {
            return ValueTask.FromException<bool>(ex);
        }

        var timeToLive = expiresAt - _timeProvider.GetUtcNow();
        if (timeToLive < MinimumTimeToLive)
        {
            timeToLive = MinimumTimeToLive;
        }

        if (connection.Batcher.Accepts(connection.Multiplexer))
        {
            // Group commit: sent at once when no batch is in flight, else with the adds that arrive meanwhile, one
            // pipelined SET key 1 PX ttl NX each, answered together (ReplayBatcher).
            var pending = _pending.Rent();
            if (pending is null)
            {
                return ValueTask.FromException<bool>(Overloaded());
            }

            var added = pending.Begin(cancellationToken, out long state);
            if (!connection.Batcher.TryEnqueue(pending, state, key, timeToLive))
            {
                pending.TryFail(state, Overloaded(), runContinuationAsynchronously: false);
            }

            return added;
        }

        // A cluster (keys of one batch would span hash slots) or a proxy: one SET key 1 PX ttl NX per add, sent on its
        // own, atomic on the server. Concurrent requests' commands share the one connection and
        // are pipelined by StackExchange.Redis; the key prefix is added as bytes as it is written.
        Task<bool> set;
        try
        {
            set = connection.Replay.StringSetAsync(key, Used, timeToLive, When.NotExists);
        }
        catch (RedisException ex)
        {
            return ValueTask.FromException<bool>(ex);
        }

        if (set.IsCompleted)
        {
            return new ValueTask<bool>(set);
        }

        var waiting = _pending.Rent();
        if (waiting is null)
        {
            Observe(set);
            return ValueTask.FromException<bool>(Overloaded());
        }

        var answer = waiting.Begin(cancellationToken, out _);
        waiting.CompleteWith(set);
        return answer;
    }

    // Past the bound on adds waiting for Redis (a slow or hung server): refused at once, not queued without limit.
    private static RedisException Overloaded() => new(string.Create(CultureInfo.InvariantCulture,
        $"{PendingAddPool.Capacity} DPoP replay adds are waiting for Redis already: this one is refused at once rather than queued."));

    /// <summary>
    /// Opens the connection to Redis, retrying in the background until it succeeds; the task completes once the cache
    /// has its connection. The hosted service <c>AddDPoPRedisReplayCache</c> registers starts this at startup.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the connection attempts go on).</param>
    public Task ConnectAsync(CancellationToken cancellationToken = default) => StartConnecting().WaitAsync(cancellationToken);

    /// <summary>Asks Redis for a <c>PING</c>: how long the store takes to answer. Throws when it cannot answer in time.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default) =>
        await WithinTimeoutAsync(Connected().Multiplexer.GetDatabase(_options.Database).PingAsync(), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Redis's <c>maxmemory-policy</c> when it may evict keys (anything but <c>noeviction</c>: the replay entries
    /// have a time-to-live, so <c>volatile-*</c> policies evict them too), or <see langword="null"/> when it may not
    /// or does not say.
    /// </summary>
    internal async Task<string?> GetEvictionPolicyAsync(CancellationToken cancellationToken)
    {
        // INFO through the database (the primary the replay keys go to): IServer.Info needs admin mode, and managed
        // Redis services often disable CONFIG, not INFO.
        var info = await WithinTimeoutAsync(Connected().Multiplexer.GetDatabase(_options.Database).ExecuteAsync("INFO", "memory"), cancellationToken).ConfigureAwait(false);
        string? text = info.IsNull ? null : info.ToString();
        foreach (string line in (text ?? string.Empty).Split('\n'))
        {
            if (line.StartsWith("maxmemory_policy:", StringComparison.Ordinal))
            {
                string policy = line["maxmemory_policy:".Length..].Trim();
                return string.Equals(policy, "noeviction", StringComparison.OrdinalIgnoreCase) ? null : policy;
            }
        }

        return null;
    }

    internal Task StartConnecting()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            return _connecting ??= Task.Run(() => ConnectUntilDoneAsync(_disposed.Token));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        IConnectionMultiplexer? owned;
        lock (_gate)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel(); // stops the retries; a connection that opens later is closed by the connecting task
            _pending.Dispose();
            owned = _ownsConnection ? _connection?.Multiplexer : null;
        }

        if (owned is not null)
        {
            await owned.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ConnectUntilDoneAsync(CancellationToken stopping)
    {
        var delay = FirstRetryDelay;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var (connection, owned) = await OpenAsync().ConfigureAwait(false);
                bool disposed;
                lock (_gate)
                {
                    disposed = stopping.IsCancellationRequested;
                    if (!disposed)
                    {
                        _ownsConnection = owned;
                        // The replay keys' database, with the key prefix StackExchange.Redis writes as bytes before
                        // each key: no string is made per request to prefix it.
                        var database = connection.GetDatabase(_options.Database);
                        var replay = database.WithKeyPrefix(_options.KeyPrefix);
                        var batcher = new ReplayBatcher(database, _options.KeyPrefix, _options.Timeout);
                        Volatile.Write(ref _connection, new ReplayConnection(connection, replay, batcher));
                    }
                }

                if (disposed && owned)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                RedisLog.Connected(_logger, connection.IsConnected);

                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                RedisLog.ConnectFailed(_logger, delay.TotalMilliseconds, ex);
            }

            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = delay * 2 < LongestRetryDelay ? delay * 2 : LongestRetryDelay;
        }
    }

    private async Task<(IConnectionMultiplexer Connection, bool Owned)> OpenAsync()
    {
        if (_options.ConnectionMultiplexerFactory is not null)
        {
            return (await _options.ConnectionMultiplexerFactory().ConfigureAwait(false), false);
        }

        if (_options.ConfigurationOptions is not null || !string.IsNullOrEmpty(_options.Configuration))
        {
            var configuration = _options.ConfigurationOptions?.Clone() ?? ConfigurationOptions.Parse(_options.Configuration!);
            configuration.AbortOnConnectFail = false;
            configuration.BacklogPolicy = BacklogPolicy.FailFast;

            // Unless the application chose one: socket reads on the thread pool rather than on StackExchange.Redis's
            // own threads, one thread switch fewer per round trip on the request path (the answer's completion runs on
            // the thread pool anyway, so the replay check already depends on it).
            configuration.SocketManager ??= SocketManager.ThreadPool;
            return (await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false), true);
        }

        return (_services.GetRequiredService<IConnectionMultiplexer>(), false);
    }

    // The connection, or an exception at once: no request waits for a connection to be made.
    private ReplayConnection Connected()
    {
        var connection = Volatile.Read(ref _connection);
        if (connection is null)
        {
            _ = StartConnecting();
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                "The DPoP replay store has no Redis connection yet; it is connecting in the background.");
        }

        if (!connection.Multiplexer.IsConnected)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                "The DPoP replay store is not connected to Redis; it reconnects in the background.");
        }

        return connection;
    }

    // Bounds a Redis command by Options.Timeout and the caller's cancellation (the request's RequestAborted). A timeout
    // bounds real waiting, so it runs on real time, not on the TimeProvider that dates proofs (a test clock may stand
    // still). The command itself cannot be withdrawn: its late result is ignored, its failure observed.
    private async Task<T> WithinTimeoutAsync<T>(Task<T> command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.WaitAsync(_options.Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Observe(command);
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"Redis did not answer within {_options.Timeout.TotalMilliseconds:0} ms (RedisDPoPReplayCacheOptions.Timeout)."), ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(command);
            throw;
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // The connection and the prefixed database the replay keys go to, published together.
    private sealed record ReplayConnection(IConnectionMultiplexer Multiplexer, IDatabase Replay, ReplayBatcher Batcher);
}
