using System.Net.Http.Headers;
using System.Text;

namespace Arcp.DPoP.Client;

/// <summary>
/// Gets, caches and refreshes the DPoP-bound access token of one <see cref="DPoPSession"/> (one named HttpClient):
/// a token serves while the session's key is the one it was bound to and until <see cref="DPoPTokenOptions.RefreshBeforeExpiry"/>
/// before it expires; concurrent callers share one token request.
/// </summary>
internal sealed class DPoPTokenManager
{
    /// <summary>The named HttpClient that calls token endpoints (it follows no redirects: the secret and proof stay put).</summary>
    internal const string TokenHttpClientName = "Arcp.DPoP.Client.TokenEndpoint";

    private readonly DPoPSession _session;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly DPoPTokenOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private CachedToken? _cached;
    private Task? _pending;

    public DPoPTokenManager(DPoPSession session, IHttpClientFactory httpClientFactory, DPoPTokenOptions options, TimeProvider timeProvider)
    {
        _session = session;
        _httpClientFactory = httpClientFactory;
        _options = options;
        _timeProvider = timeProvider;
    }

    /// <summary>Makes sure the session holds a token for its current key that is not about to expire.</summary>
    public async Task EnsureTokenAsync(CancellationToken cancellationToken)
    {
        // Two rounds at most: a key rotated while a token was being requested makes that token useless.
        for (int round = 0; round < 2; round++)
        {
            Task pending;
            lock (_gate)
            {
                if (IsFresh(_cached))
                {
                    return;
                }

                // One token request at a time, shared by every caller (no stampede). It runs to its end even when
                // the caller that started it gives up: the others may still be waiting for it.
                _pending ??= RefreshAsync();
                pending = _pending;
            }

            await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The API refused <paramref name="accessToken"/> (<c>invalid_token</c>): never send it again.</summary>
    public void Invalidate(string accessToken)
    {
        lock (_gate)
        {
            if (_cached is not null && string.Equals(_cached.AccessToken, accessToken, StringComparison.Ordinal))
            {
                _cached = null;
            }
        }

        _session.ForgetAccessToken(accessToken);
    }

    // Under _gate. Fresh: bound to the session's current key, still the session's token, not near its expiry.
    private bool IsFresh(CachedToken? cached) =>
        cached is not null &&
        string.Equals(cached.Thumbprint, _session.Key.Thumbprint, StringComparison.Ordinal) &&
        string.Equals(cached.AccessToken, _session.AccessToken, StringComparison.Ordinal) &&
        (cached.RefreshAt is not { } refreshAt || _timeProvider.GetUtcNow() < refreshAt);

    private async Task RefreshAsync()
    {
        await Task.Yield(); // never run the request under the caller's lock, and let it publish _pending first
        try
        {
            var token = await RequestAsync().ConfigureAwait(false);
            lock (_gate)
            {
                _cached = token;
            }
        }
        finally
        {
            lock (_gate)
            {
                _pending = null;
            }
        }
    }

    private async Task<CachedToken> RequestAsync()
    {
        var endpoint = _options.TokenEndpoint!;
        var parameters = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        AuthenticationHeaderValue? authorization = null;
        if (!string.IsNullOrEmpty(_options.ClientSecret))
        {
            // RFC 6749 §2.3.1: id and secret form-urlencoded, then Basic.
            string credentials = Uri.EscapeDataString(_options.ClientId ?? string.Empty) + ":" + Uri.EscapeDataString(_options.ClientSecret);
            authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        }
        else if (!string.IsNullOrEmpty(_options.ClientId))
        {
            parameters.Add(new("client_id", _options.ClientId));
        }

        if (!string.IsNullOrEmpty(_options.Scope))
        {
            parameters.Add(new("scope", _options.Scope));
        }

        parameters.AddRange(_options.Parameters);
        var obtainedAt = _timeProvider.GetUtcNow();
        using var client = _httpClientFactory.CreateClient(TokenHttpClientName);
        var response = await _session.RequestTokenResponseAsync(client, endpoint, parameters, authorization, CancellationToken.None).ConfigureAwait(false);

        // Replaced RefreshBeforeExpiry before expiry, or at half its life when it lives shorter than twice that.
        DateTimeOffset? refreshAt = response.ExpiresIn is { } lifetime
            ? obtainedAt + lifetime - TimeSpan.FromTicks(Math.Min(_options.RefreshBeforeExpiry.Ticks, lifetime.Ticks / 2))
            : null;
        return new CachedToken(response.AccessToken, response.Thumbprint, refreshAt);
    }

    private sealed record CachedToken(string AccessToken, string Thumbprint, DateTimeOffset? RefreshAt);
}
