using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Arcp.DPoP;

/// <summary>
/// Step 3: the request URI a proof's <c>htu</c> must match (RFC 9449 §4.3 item 9), normalised: <see cref="DPoPOptions.PublicOrigin"/>
/// when set, otherwise the request's scheme, host and port; then the path as the client sent it.
/// </summary>
internal static class ExpectedHtu
{
    /// <summary>The normalised URI, without query and fragment; a failure when the Host header makes it unusable.</summary>
    public static DPoPResult<string> For(HttpRequest request, string? publicOrigin)
    {
        string path = RequestPath(request);
        string uri = publicOrigin is { } origin
            ? origin + path
            : request.Scheme + "://" + request.Host.ToUriComponent() + path;
        return HtuNormalizer.TryNormalize(uri, out string htu, out string? error)
            ? DPoPResult<string>.Ok(htu)
            : DPoPFailures.RequestUriUnusable(error);
    }

    /// <summary>
    /// The same URI as <see cref="For"/> before normalisation, written into <paramref name="destination"/> instead of a
    /// new string (issue 14): false when it does not fit.
    /// </summary>
    public static bool TryWrite(HttpRequest request, string? publicOrigin, Span<char> destination, out int written)
    {
        string path = RequestPath(request);
        var rest = destination;
        bool fits = (publicOrigin is { } origin
                ? Append(ref rest, origin)
                : Append(ref rest, request.Scheme) && Append(ref rest, "://") && Append(ref rest, request.Host.ToUriComponent()))
            && Append(ref rest, path);
        written = fits ? destination.Length - rest.Length : 0;
        return fits;
    }

    // Copies value to the front of rest and moves rest past it; false when it does not fit.
    private static bool Append(ref Span<char> rest, string value)
    {
        if (!value.TryCopyTo(rest))
        {
            return false;
        }

        rest = rest[value.Length..];
        return true;
    }

    /// <summary>
    /// The request's path as the client sent it (percent-encoding intact), so <see cref="HtuNormalizer"/> decodes it once:
    /// <see cref="HttpRequest.Path"/> is already decoded, and encoding it again cannot tell <c>/files/%2572</c> (the
    /// resource named <c>%72</c>) from <c>/files/r</c>. The raw target includes the path base; without one (a
    /// request made in process, or an asterisk or absolute form) the decoded path base and path are used.
    /// </summary>
    public static string RequestPath(HttpRequest request)
    {
        string? raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw) && raw[0] == '/')
        {
            int end = raw.AsSpan().IndexOfAny('?', '#');
            string rawPath = end < 0 ? raw : raw[..end];

            // The raw target must still be this request: a middleware that rewrote Path (UsePathBase keeps the whole,
            // UseRewriter does not) makes the decoded form authoritative.
            if (string.Equals(Uri.UnescapeDataString(rawPath), request.PathBase.Add(request.Path).Value, StringComparison.Ordinal) ||
                string.Equals(DecodeLikeServer(rawPath), request.PathBase.Add(request.Path).Value, StringComparison.Ordinal))
            {
                return rawPath;
            }
        }

        return request.PathBase.Add(request.Path).ToUriComponent();
    }

    // Kestrel decodes every percent-encoding except %2F in the path.
    private static string DecodeLikeServer(string rawPath) =>
        Uri.UnescapeDataString(rawPath.Replace("%2F", "%252F", StringComparison.Ordinal).Replace("%2f", "%252f", StringComparison.Ordinal));
}
