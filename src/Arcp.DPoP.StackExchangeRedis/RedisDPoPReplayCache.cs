using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// An <see cref="IDPoPReplayCache"/> shared by every instance of a web farm: each proof is recorded with one atomic
/// <c>SET key 1 NX PX ttl</c>, so of any number of concurrent uses on any instances exactly one succeeds, and the
/// entry lives exactly as long as the proof could be accepted.
/// </summary>
/// <remarks>
/// When Redis cannot answer (down, unreachable, timing out) <see cref="TryAddAsync"/> throws and the handler refuses
/// the request with a 503 and <c>Retry-After</c>: no proof is accepted unchecked. A connection this cache opens itself
/// does not abort when Redis is down at startup and fails commands fast while disconnected
/// (<see cref="BacklogPolicy.FailFast"/>); it reconnects by itself, so requests succeed again without a restart.
/// </remarks>
public sealed class RedisDPoPReplayCache : IDPoPReplayCache, IAsyncDisposable
{
    private static readonly RedisValue Used = "1";
    private static readonly TimeSpan MinimumTimeToLive = TimeSpan.FromSeconds(1);

    private readonly RedisDPoPReplayCacheOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly IServiceProvider _services;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private IConnectionMultiplexer? _connection;
    private bool _ownsConnection;

    /// <summary>Creates the cache.</summary>
    /// <param name="options">Where Redis is and how keys are named.</param>
    /// <param name="timeProvider">The clock that turns expiry times into time-to-live.</param>
    /// <param name="services">Resolves an <see cref="IConnectionMultiplexer"/> when the options give no connection.</param>
    public RedisDPoPReplayCache(IOptions<RedisDPoPReplayCacheOptions> options, TimeProvider timeProvider, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(services);
        _options = options.Value;
        _timeProvider = timeProvider;
        _services = services;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryAddAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var timeToLive = expiresAt - _timeProvider.GetUtcNow();
        if (timeToLive < MinimumTimeToLive)
        {
            timeToLive = MinimumTimeToLive;
        }

        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var database = connection.GetDatabase(_options.Database);

        // SET key 1 PX ttl NX: one round trip, atomic on the server.
        return await database.StringSetAsync(_options.KeyPrefix + key, Used, timeToLive, When.NotExists).ConfigureAwait(false);
    }

    /// <summary>Asks Redis for a <c>PING</c>: how long the store takes to answer. Throws when it cannot answer.</summary>
    /// <param name="cancellationToken">Cancels the wait for a connection.</param>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        return await connection.GetDatabase(_options.Database).PingAsync().ConfigureAwait(false);
    }

    private async ValueTask<IConnectionMultiplexer> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } existing)
        {
            return existing;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is not null)
            {
                return _connection;
            }

            if (_options.ConnectionMultiplexerFactory is not null)
            {
                _connection = await _options.ConnectionMultiplexerFactory().ConfigureAwait(false);
            }
            else if (_options.ConfigurationOptions is not null || !string.IsNullOrEmpty(_options.Configuration))
            {
                var configuration = _options.ConfigurationOptions?.Clone() ?? ConfigurationOptions.Parse(_options.Configuration!);
                configuration.AbortOnConnectFail = false;
                configuration.BacklogPolicy = BacklogPolicy.FailFast;
                _connection = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
                _ownsConnection = true;
            }
            else
            {
                _connection = _services.GetRequiredService<IConnectionMultiplexer>();
            }

            return _connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection && _connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }

        _connectLock.Dispose();
    }
}
