using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// One agent session: one key, the access token bound to it, and the server nonces seen per origin.
/// Every request gets a fresh proof signed with the session's key.
/// </summary>
/// <remarks>
/// The two ways agents get a key mismatch are closed here: <see cref="RotateKey"/> forgets the access token (a token
/// is bound to the key it was issued for, so the new key needs a new token), and <see cref="SetAccessToken"/> refuses a
/// token whose <c>cnf.jkt</c> names another key. The session is thread-safe.
/// </remarks>
public sealed class DPoPSession : IDisposable
{
    private readonly DPoPProofFactory _proofFactory;
    private readonly ConcurrentDictionary<string, string> _nonces = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _gate = new();
    private DPoPKey _key;
    private string? _accessToken;

    /// <summary>Creates a session.</summary>
    /// <param name="key">The key; a new ES256 key by default. The session disposes it.</param>
    /// <param name="proofFactory">Makes the proofs; one on the system clock by default.</param>
    public DPoPSession(DPoPKey? key = null, DPoPProofFactory? proofFactory = null)
    {
        _key = key ?? DPoPKey.Generate();
        _proofFactory = proofFactory ?? new DPoPProofFactory();
    }

    /// <summary>The session's current key.</summary>
    public DPoPKey Key
    {
        get
        {
            lock (_gate)
            {
                return _key;
            }
        }
    }

    /// <summary>The access token bound to <see cref="Key"/>, once one was set.</summary>
    public string? AccessToken
    {
        get
        {
            lock (_gate)
            {
                return _accessToken;
            }
        }
    }

    /// <summary>Uses an access token issued for this session's key.</summary>
    /// <param name="accessToken">The token. When it is a JWT with <c>cnf.jkt</c>, that must be <see cref="Key"/>'s thumbprint.</param>
    /// <exception cref="InvalidOperationException">The token is bound to another key.</exception>
    public void SetAccessToken(string accessToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        lock (_gate)
        {
            string? jkt = ReadConfirmationThumbprint(accessToken);
            if (jkt is not null && !string.Equals(jkt, _key.Thumbprint, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"This access token is bound to key {jkt}, not to the session's key {_key.Thumbprint}; every proof would be refused as dpop-binding-mismatch. Request a token with a proof signed by the session's key.");
            }

            _accessToken = accessToken;
        }
    }

    /// <summary>
    /// Replaces the key with a new one and forgets the access token, which was bound to the old key: get a new token
    /// (with <see cref="RequestTokenAsync"/>) before the next request.
    /// </summary>
    /// <param name="algorithm">The new key's algorithm; the current one's by default.</param>
    /// <returns>The new key.</returns>
    public DPoPKey RotateKey(string? algorithm = null)
    {
        lock (_gate)
        {
            var old = _key;
            _key = DPoPKey.Generate(algorithm ?? old.Algorithm);
            _accessToken = null;
            old.Dispose();
            return _key;
        }
    }

    /// <summary>Makes the proof for a request to a protected resource, with <c>ath</c> and the origin's latest nonce.</summary>
    /// <param name="method">The request method.</param>
    /// <param name="uri">The absolute request URI.</param>
    /// <exception cref="InvalidOperationException">The session has no access token for its current key.</exception>
    public string CreateProof(HttpMethod method, Uri uri) => CreateAuthorization(method, uri).Proof;

    /// <summary>The access token and a proof made for it, read and made under one lock.</summary>
    internal (string Token, string Proof) CreateAuthorization(HttpMethod method, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        lock (_gate)
        {
            string token = _accessToken ?? throw new InvalidOperationException(
                "The session has no access token for its current key (a rotated key needs a new token): call RequestTokenAsync or SetAccessToken first.");
            return (token, _proofFactory.CreateProof(_key, method.Method, uri, token, GetNonce(uri)));
        }
    }

    /// <summary>Makes the proof for a token request (RFC 9449 §5): no access token, the origin's latest nonce.</summary>
    /// <param name="tokenEndpoint">The token endpoint.</param>
    public string CreateTokenRequestProof(Uri tokenEndpoint)
    {
        ArgumentNullException.ThrowIfNull(tokenEndpoint);
        lock (_gate)
        {
            return _proofFactory.CreateProof(_key, HttpMethod.Post.Method, tokenEndpoint, accessToken: null, GetNonce(tokenEndpoint));
        }
    }

    /// <summary>
    /// Requests an access token bound to the session's key from an OAuth token endpoint (RFC 9449 §5) and uses it.
    /// A <c>use_dpop_nonce</c> answer is retried once with the server's nonce.
    /// </summary>
    /// <param name="httpClient">The client to call the token endpoint with (without the DPoP handler).</param>
    /// <param name="tokenEndpoint">The token endpoint.</param>
    /// <param name="form">The form parameters (grant type, client credentials...), if any.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The access token.</returns>
    /// <exception cref="DPoPTokenRequestException">The token endpoint refused the request.</exception>
    public async Task<string> RequestTokenAsync(HttpClient httpClient, Uri tokenEndpoint, IEnumerable<KeyValuePair<string, string>>? form = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(tokenEndpoint);
        var response = await RequestTokenResponseAsync(httpClient, tokenEndpoint, form?.ToList() ?? [], clientAuthorization: null, cancellationToken).ConfigureAwait(false);
        return response.AccessToken;
    }

    /// <summary>The token request of <see cref="RequestTokenAsync"/>, with the token's lifetime and the key it is bound to.</summary>
    internal async Task<DPoPTokenResponse> RequestTokenResponseAsync(
        HttpClient httpClient,
        Uri tokenEndpoint,
        IReadOnlyList<KeyValuePair<string, string>> parameters,
        AuthenticationHeaderValue? clientAuthorization,
        CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                Content = new FormUrlEncodedContent(parameters),
            };
            request.Headers.Authorization = clientAuthorization;
            string thumbprint;
            string proof;
            lock (_gate)
            {
                thumbprint = _key.Thumbprint;
                proof = CreateTokenRequestProof(tokenEndpoint);
            }

            request.Headers.TryAddWithoutValidation("DPoP", proof);
            using var response = await httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
            RememberNonce(tokenEndpoint, response);
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                // A member twice (token_type "Bearer" then "DPoP") would be read as whichever JSON reader's choice: refuse it.
                if (DuplicateMember(body) is { } duplicate)
                {
                    throw new DPoPTokenRequestException((int)response.StatusCode, "invalid_response", $"The token response has the member \"{Truncate(duplicate)}\" more than once.");
                }

                string token = ReadString(body, "access_token")
                    ?? throw new DPoPTokenRequestException((int)response.StatusCode, "invalid_response", "The token response has no access_token.");

                // RFC 9449 §5: a DPoP-bound token comes with token_type "DPoP" (compared case-insensitively, RFC 6749
                // §5.1). Anything else ("Bearer") is a token the server did not bind: using it as DPoP would leave the
                // caller believing its requests are sender-constrained when they are not.
                string? tokenType = ReadString(body, "token_type");
                if (!string.Equals(tokenType, "DPoP", StringComparison.OrdinalIgnoreCase))
                {
                    throw new DPoPTokenRequestException((int)response.StatusCode, "invalid_response", tokenType is null
                        ? "The token response has no token_type; a DPoP-bound token must come with token_type \"DPoP\" (RFC 9449 §5)."
                        : $"The token response's token_type is \"{Truncate(tokenType)}\", not \"DPoP\": the authorization server did not issue a DPoP-bound token (RFC 9449 §5).");
                }
                lock (_gate)
                {
                    // A key rotated while the token was requested: the token is the old key's and is not used.
                    if (string.Equals(_key.Thumbprint, thumbprint, StringComparison.Ordinal))
                    {
                        SetAccessToken(token);
                    }
                }

                return new DPoPTokenResponse(token, thumbprint, ReadExpiresIn(body));
            }

            string? error = ReadString(body, "error");
            if (attempt == 0 && error == "use_dpop_nonce" && response.Headers.Contains("DPoP-Nonce"))
            {
                continue; // RFC 9449 §8: retry once with the server's nonce
            }

            throw new DPoPTokenRequestException((int)response.StatusCode, error, ReadString(body, "error_description"));
        }
    }

    /// <summary>Forgets <paramref name="accessToken"/> if it is still the session's token (the API refused it).</summary>
    internal void ForgetAccessToken(string accessToken)
    {
        lock (_gate)
        {
            if (string.Equals(_accessToken, accessToken, StringComparison.Ordinal))
            {
                _accessToken = null;
            }
        }
    }

    /// <summary>The latest nonce the origin of <paramref name="uri"/> gave, if any.</summary>
    /// <param name="uri">A URI of the server.</param>
    public string? GetNonce(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return _nonces.TryGetValue(Origin(uri), out string? nonce) ? nonce : null;
    }

    /// <summary>Remembers the <c>DPoP-Nonce</c> a response carries, for the next proof to that origin (RFC 9449 §8.2).</summary>
    /// <param name="uri">The request URI.</param>
    /// <param name="response">The response.</param>
    /// <returns>Whether the response carried a nonce.</returns>
    public bool RememberNonce(Uri uri, HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.TryGetValues("DPoP-Nonce", out var values) && values.FirstOrDefault() is { Length: > 0 } nonce)
        {
            _nonces[Origin(uri)] = nonce;
            return true;
        }

        return false;
    }

    /// <summary>Adds <c>Authorization: DPoP &lt;token&gt;</c> and a fresh <c>DPoP</c> proof to a request.</summary>
    /// <param name="request">The request; its URI must be absolute.</param>
    public void Authorize(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.RequestUri is { IsAbsoluteUri: true } absolute
            ? absolute
            : throw new InvalidOperationException("A DPoP-signed request needs an absolute URI (set HttpClient.BaseAddress).");
        // One snapshot: the token sent is the token the proof's ath was computed from, even when another thread
        // sets a new token or rotates the key meanwhile.
        var (token, proof) = CreateAuthorization(request.Method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("DPoP", token);
        request.Headers.Remove("DPoP");
        request.Headers.TryAddWithoutValidation("DPoP", proof);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _key.Dispose();
        }
    }

    private static string Origin(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    // RFC 6749 §5.1: expires_in, in seconds; null when absent or not a positive number.
    private static TimeSpan? ReadExpiresIn(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("expires_in", out var value))
            {
                return null;
            }

            // A number per RFC 6749 §5.1; some servers send it as a string.
            long seconds = value.ValueKind switch
            {
                JsonValueKind.Number when value.TryGetInt64(out long number) => number,
                JsonValueKind.String when long.TryParse(value.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long text) => text,
                _ => 0,
            };
            return seconds > 0 && seconds <= int.MaxValue ? TimeSpan.FromSeconds(seconds) : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // InvalidOperationException: a string escape that is not UTF-16 ("\uD800"), which GetString() refuses
        }
    }

    // The server's text in an exception message: short, printable ASCII only.
    private static string Truncate(string value)
    {
        var chars = value.Take(40).Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray();
        return new string(chars) + (value.Length > 40 ? "..." : string.Empty);
    }

    private static string? DuplicateMember(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(member.Name))
                {
                    return member.Name;
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // InvalidOperationException: a string escape that is not UTF-16 ("\uD800"), which GetString() refuses
        }
    }

    private static string? ReadString(string json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // InvalidOperationException: a string escape that is not UTF-16 ("\uD800"), which GetString() refuses
        }
    }

    // The token's cnf.jkt, read without validation (the server validates); null for opaque or unbound tokens.
    private static string? ReadConfirmationThumbprint(string accessToken)
    {
        string[] parts = accessToken.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.ValueKind == JsonValueKind.Object &&
                payload.RootElement.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object &&
                cnf.TryGetProperty("jkt", out var jkt) && jkt.ValueKind == JsonValueKind.String
                ? jkt.GetString()
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
