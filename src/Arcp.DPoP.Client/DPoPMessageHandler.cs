using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;

namespace Arcp.DPoP.Client;

/// <summary>
/// An <see cref="HttpClient"/> handler that sends every request with <c>Authorization: DPoP &lt;token&gt;</c> and a
/// fresh DPoP proof from a <see cref="DPoPSession"/>, remembers each origin's <c>DPoP-Nonce</c>, and retries exactly
/// once when the server answers 401 <c>use_dpop_nonce</c> with a new nonce (RFC 9449 §8–9).
/// </summary>
/// <remarks>
/// <para>
/// <b>Redirects.</b> The token and proofs go only to the origin (scheme, host, port) the request was made for. The
/// handler follows redirects itself, so it can sign each hop: it turns off <c>AllowAutoRedirect</c> on the
/// <see cref="HttpClientHandler"/> or <see cref="SocketsHttpHandler"/> under it (before its first request) and
/// follows at most that handler's <c>MaxAutomaticRedirections</c>. A hop to the same origin gets a new proof for its
/// own URL (<c>htu</c> changes); a hop to another origin goes without <c>Authorization</c> and <c>DPoP</c>, is never
/// retried, and once a chain has left the origin no later hop is signed, even one that comes back (the other origin
/// chose it). An <c>https</c> to <c>http</c> redirect is not followed. When the handler under it did not follow
/// redirects, neither does this one; under a transport it cannot inspect, a request moved by a redirect below is never
/// signed again nor retried.
/// </para>
/// <para>
/// <b>Tokens.</b> Made by <c>AddHttpClient(...).AddDPoP(o =&gt; ...)</c> with a token endpoint, the handler gets the
/// session's token itself before each signed hop (see <see cref="DPoPTokenOptions"/>), and a 401
/// <c>invalid_token</c> from the origin the request was made for drops that token and retries once with a new one.
/// </para>
/// <para>
/// <b>Request bodies.</b> A retry (the nonce retry, or a 307/308 redirect) sends the body again. Bodies that can be
/// sent twice as they are (<see cref="ByteArrayContent"/>, <see cref="StringContent"/>,
/// <see cref="FormUrlEncodedContent"/>, <see cref="ReadOnlyMemoryContent"/>, <see cref="JsonContent"/>, and
/// multipart contents of those) are never copied. Any other body is buffered only when its length is known and at most
/// 1 MiB; a larger or unknown-length (streaming) body is streamed once and never loaded into memory, so a
/// <c>use_dpop_nonce</c> answer to it reaches the caller, and the session has kept the nonce for the caller's next attempt.
/// </para>
/// </remarks>
public sealed class DPoPMessageHandler : DelegatingHandler
{
    /// <summary>The largest body of unknown repeatability that is buffered so a retry can send it again.</summary>
    internal const long MaxBufferedBodyLength = 1024 * 1024;

    // The transports whose redirects a DPoP handler took over, with the redirect limit they had.
    private static readonly ConditionalWeakTable<HttpMessageHandler, StrongBox<int>> TakenOver = new();

    private readonly DPoPSession _session;
    private readonly DPoPTokenManager? _tokens;
    private readonly Lock _redirectGate = new();
    private int _maxRedirects = -1; // -1 until the first request looked at the handler below

    /// <summary>Creates the handler.</summary>
    /// <param name="session">The session whose key and token sign the requests.</param>
    public DPoPMessageHandler(DPoPSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>Creates the handler that also gets, caches and refreshes the session's token.</summary>
    internal DPoPMessageHandler(DPoPSession session, DPoPTokenManager tokens)
        : this(session)
    {
        _tokens = tokens;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorised = request.RequestUri is { IsAbsoluteUri: true } absolute
            ? absolute
            : throw new InvalidOperationException("A DPoP-signed request needs an absolute URI (set HttpClient.BaseAddress).");
        int maxRedirects = MaxRedirects();
        bool resendable = await PrepareBodyAsync(request.Content, cancellationToken).ConfigureAwait(false);
        bool signing = true; // false for good once the chain left the origin the request was authorised for
        for (int redirects = 0; ; redirects++)
        {
            var response = signing
                ? await SendSignedAsync(request, resendable, cancellationToken).ConfigureAwait(false)
                : await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

            // A handler below that followed a redirect itself may have moved the request to another origin.
            signing &= SameOrigin(request.RequestUri!, authorised);
            if (redirects >= maxRedirects || !TryGetRedirect(response, request.RequestUri!, out var location))
            {
                return response;
            }

            bool toGet = RedirectsToGet(response.StatusCode, request.Method);
            if (!toGet && request.Content is not null && !resendable)
            {
                return response; // 307/308 keep the body, which cannot be sent again: the caller sees the redirect
            }

            response.Dispose();
            request.RequestUri = location;
            if (toGet)
            {
                request.Method = HttpMethod.Get;
                request.Content = null;
            }

            signing &= SameOrigin(location, authorised);
            if (!signing)
            {
                request.Headers.Authorization = null;
                request.Headers.Remove("DPoP");
            }
        }
    }

    /// <summary>Whether a response's <c>WWW-Authenticate: DPoP</c> challenge says <c>error="use_dpop_nonce"</c>.</summary>
    internal static bool IsUseDPoPNonce(HttpResponseMessage response) => HasChallengeError(response, "use_dpop_nonce");

    // Whether a response's WWW-Authenticate: DPoP challenge carries error="<error>" (RFC 9449 §7.1, RFC 6750 §3).
    private static bool HasChallengeError(HttpResponseMessage response, string error)
    {
        foreach (var challenge in response.Headers.WwwAuthenticate)
        {
            if (string.Equals(challenge.Scheme, "DPoP", StringComparison.OrdinalIgnoreCase) &&
                challenge.Parameter is { } parameter &&
                parameter.Contains("error=\"" + error + "\"", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // One hop to the origin the request was authorised for: a proof for this URL, the nonce retry (RFC 9449 §8) and,
    // with a token manager, one retry with a new token when the API refused the token (expired early, revoked).
    private async Task<HttpResponseMessage> SendSignedAsync(HttpRequestMessage request, bool resendable, CancellationToken cancellationToken)
    {
        var target = request.RequestUri!;
        bool nonceRetried = false;
        bool tokenRetried = false;
        while (true)
        {
            if (_tokens is not null)
            {
                await _tokens.EnsureTokenAsync(cancellationToken).ConfigureAwait(false);
            }

            _session.Authorize(request); // a new proof (new jti), with the origin's latest nonce
            string sentToken = request.Headers.Authorization!.Parameter!;
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(request.RequestUri, target))
            {
                return response; // redirected below this handler: that answer is not the target's to learn from
            }

            bool nonce = _session.RememberNonce(target, response);
            if (!resendable || response.StatusCode != HttpStatusCode.Unauthorized)
            {
                return response;
            }

            if (!nonceRetried && nonce && IsUseDPoPNonce(response))
            {
                nonceRetried = true;
            }
            else if (!tokenRetried && _tokens is not null && HasChallengeError(response, "invalid_token"))
            {
                // Only this origin's answer gets here (the chain never left it), so another origin cannot make us
                // drop tokens or fetch new ones. Once: a second refusal of a brand-new token goes to the caller.
                tokenRetried = true;
                _tokens.Invalidate(sentToken);
            }
            else
            {
                return response;
            }

            response.Dispose();
        }
    }

    // How many redirects this handler follows: the handler below's limit, once it was told to leave them to us.
    private int MaxRedirects()
    {
        int max = Volatile.Read(ref _maxRedirects);
        if (max >= 0)
        {
            return max;
        }

        lock (_redirectGate)
        {
            if (_maxRedirects < 0)
            {
                HttpMessageHandler? primary = InnerHandler;
                while (primary is DelegatingHandler delegating)
                {
                    primary = delegating.InnerHandler;
                }

                Volatile.Write(ref _maxRedirects, TakeOverRedirects(primary));
            }

            return _maxRedirects;
        }
    }

    private static int TakeOverRedirects(HttpMessageHandler? primary)
    {
        if (primary is null)
        {
            return 0;
        }

        // A transport shared by several DPoP handlers (one per IHttpClientFactory handler lifetime, say) was taken
        // over by the first: the others follow redirects as it did before.
        if (TakenOver.TryGetValue(primary, out var taken))
        {
            return taken.Value;
        }

        try
        {
            switch (primary)
            {
                case SocketsHttpHandler { AllowAutoRedirect: true } sockets:
                    sockets.AllowAutoRedirect = false;
                    TakenOver.AddOrUpdate(primary, new StrongBox<int>(sockets.MaxAutomaticRedirections));
                    return sockets.MaxAutomaticRedirections;
                case HttpClientHandler { AllowAutoRedirect: true } client:
                    client.AllowAutoRedirect = false;
                    TakenOver.AddOrUpdate(primary, new StrongBox<int>(client.MaxAutomaticRedirections));
                    return client.MaxAutomaticRedirections;
                default:
                    return 0; // the transport does not follow redirects, or is not one we can tell: neither do we
            }
        }
        catch (InvalidOperationException ex)
        {
            // It already sent requests, so it can no longer be changed: it would forward the DPoP header to
            // whatever origin a server redirects to. Refuse rather than leak.
            throw new InvalidOperationException(
                "The HTTP handler under DPoPMessageHandler follows redirects and has already been used, so it cannot be told to stop. " +
                "Set AllowAutoRedirect = false on it (DPoPMessageHandler follows redirects itself and signs only same-origin hops), or give the DPoP handler a handler of its own.",
                ex);
        }
        catch (PlatformNotSupportedException)
        {
            return 0; // e.g. the browser follows redirects itself; a moved request is then never signed again
        }
    }

    // Whether the body can go again (retry, 307/308), buffering it only when that is needed and bounded.
    private static async ValueTask<bool> PrepareBodyAsync(HttpContent? content, CancellationToken cancellationToken)
    {
        if (content is null || IsRepeatable(content))
        {
            return true;
        }

        if (content.Headers.ContentLength is long length && length <= MaxBufferedBodyLength)
        {
            await content.LoadIntoBufferAsync(MaxBufferedBodyLength, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    // Contents that serialise from memory (or from their value) each time they are sent.
    private static bool IsRepeatable(HttpContent content) => content switch
    {
        ByteArrayContent or ReadOnlyMemoryContent or JsonContent => true,
        MultipartContent multipart => multipart.All(IsRepeatable),
        _ => false,
    };

    private static bool TryGetRedirect(HttpResponseMessage response, Uri current, out Uri location)
    {
        location = current;
        if (response.StatusCode is not (HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently or HttpStatusCode.Found or
            HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect) ||
            response.Headers.Location is not { } header)
        {
            return false;
        }

        location = header.IsAbsoluteUri ? header : new Uri(current, header);
        bool http = location.Scheme == Uri.UriSchemeHttp;
        if (!http && location.Scheme != Uri.UriSchemeHttps)
        {
            return false;
        }

        // Never from https down to http (as HttpClientHandler).
        return !(http && current.Scheme == Uri.UriSchemeHttps);
    }

    // RFC 9110 §15.4: 301/302 turn a POST into a GET (as every client does), 303 turns anything but GET/HEAD into GET.
    private static bool RedirectsToGet(HttpStatusCode status, HttpMethod method) => status switch
    {
        HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently or HttpStatusCode.Found => method == HttpMethod.Post,
        HttpStatusCode.SeeOther => method != HttpMethod.Get && method != HttpMethod.Head,
        _ => false,
    };

    private static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0;
}
