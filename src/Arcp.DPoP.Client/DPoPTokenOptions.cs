namespace Arcp.DPoP.Client;

/// <summary>
/// Where and how an <see cref="HttpClient"/> with <c>AddDPoP(o =&gt; ...)</c> gets its DPoP-bound access tokens: the
/// OAuth client credentials grant (RFC 6749 §4.4) at <see cref="TokenEndpoint"/>, with a DPoP proof (RFC 9449 §5).
/// </summary>
/// <remarks>
/// Tokens are requested on the first request, cached per DPoP key, requested again <see cref="RefreshBeforeExpiry"/>
/// before they expire, dropped when the session's key is rotated, and dropped (then requested once more) when the API
/// answers 401 <c>invalid_token</c>. Concurrent requests share one token request.
/// </remarks>
public sealed class DPoPTokenOptions
{
    /// <summary>The authorization server's token endpoint: <c>https</c>, or <c>http</c> to a loopback host only.</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The OAuth client id.</summary>
    public string? ClientId { get; set; }

    /// <summary>
    /// The client secret, sent with HTTP Basic authentication (RFC 6749 §2.3.1); without one, <c>client_id</c> is
    /// sent in the form (a public client).
    /// </summary>
    public string? ClientSecret { get; set; }

    /// <summary>The space-separated scopes to request, if any.</summary>
    public string? Scope { get; set; }

    /// <summary>More form parameters for the token request (e.g. <c>resource</c>, RFC 8707).</summary>
    public IDictionary<string, string> Parameters { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// How long before its <c>expires_in</c> runs out a token is replaced (one minute by default), so a request
    /// never leaves with a token about to expire on the way.
    /// </summary>
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromMinutes(1);
}
