using System.Net;

namespace Arcp.DPoP.Client;

/// <summary>
/// An <see cref="HttpClient"/> handler that sends every request with <c>Authorization: DPoP &lt;token&gt;</c> and a
/// fresh DPoP proof from a <see cref="DPoPSession"/>, remembers each origin's <c>DPoP-Nonce</c>, and retries exactly
/// once when the server answers 401 <c>use_dpop_nonce</c> with a new nonce (RFC 9449 §8–9).
/// </summary>
public sealed class DPoPMessageHandler : DelegatingHandler
{
    private readonly DPoPSession _session;

    /// <summary>Creates the handler.</summary>
    /// <param name="session">The session whose key and token sign the requests.</param>
    public DPoPMessageHandler(DPoPSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Content is not null)
        {
            // A retry sends the body again: keep it.
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }

        _session.Authorize(request);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        bool newNonce = _session.RememberNonce(request.RequestUri!, response);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !newNonce || !IsUseDPoPNonce(response))
        {
            return response;
        }

        response.Dispose();
        _session.Authorize(request); // a new proof (new jti) carrying the server's nonce
        response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        _session.RememberNonce(request.RequestUri!, response);
        return response;
    }

    /// <summary>Whether a response's <c>WWW-Authenticate: DPoP</c> challenge says <c>error="use_dpop_nonce"</c>.</summary>
    internal static bool IsUseDPoPNonce(HttpResponseMessage response)
    {
        foreach (var challenge in response.Headers.WwwAuthenticate)
        {
            if (string.Equals(challenge.Scheme, "DPoP", StringComparison.OrdinalIgnoreCase) &&
                challenge.Parameter is { } parameter &&
                parameter.Contains("error=\"use_dpop_nonce\"", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
