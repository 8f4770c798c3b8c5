using System.Net;
using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// Reads a discovery document (RFC 9728 protected resource metadata, RFC 8414 authorization server metadata) with the
/// same bounds for both: https (or http to a loopback host), 200 <c>application/json</c>, at most 64 KiB, within 10
/// seconds. A server that names the next URL an agent follows cannot make it read without end or wait forever.
/// </summary>
internal static class DiscoveryDocument
{
    // The largest document read, in bytes (64 KiB): a real one is well under 4 KiB.
    public const int MaxDocumentLength = 64 * 1024;

    // How long a read may take before it is abandoned.
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether a URL may be read: https, or http to a loopback host (a development server).</summary>
    public static bool IsAllowedUrl(Uri url) =>
        url.IsAbsoluteUri && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && IsLoopback(url)));

    /// <summary>
    /// The document's bytes; <see langword="null"/> for a 404 when <paramref name="notFoundIsNull"/> (the caller has
    /// another URL to try). <paramref name="what"/> names the document and <paramref name="rfc"/> the section that
    /// requires JSON, for the messages.
    /// </summary>
    public static async Task<byte[]?> ReadAsync(HttpClient http, Uri url, string what, string rfc, bool notFoundIsNull, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (notFoundIsNull && response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new DPoPResourceMetadataException($"{url} answered {(int)response.StatusCode}, not 200 with the {what}.");
            }

            if (response.Content.Headers.ContentType?.MediaType is not "application/json")
            {
                throw new DPoPResourceMetadataException($"{url} answered with '{response.Content.Headers.ContentType?.MediaType}', not application/json ({rfc}).");
            }

            if (response.Content.Headers.ContentLength > MaxDocumentLength)
            {
                throw TooLarge(url, what);
            }

            return await ReadBoundedAsync(response.Content, url, what, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DPoPResourceMetadataException($"{url} did not answer within {Timeout.TotalSeconds:0} s.", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            // IOException: the connection broke while the body was read (after the headers, so not an HttpRequestException).
            throw new DPoPResourceMetadataException($"{url} could not be read: {ex.Message}", ex);
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, Uri url, string what, CancellationToken cancellationToken)
    {
        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        byte[] buffer = new byte[MaxDocumentLength + 1];
        int length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
            if (length > MaxDocumentLength)
            {
                throw TooLarge(url, what);
            }
        }

        return buffer[..length];
    }

    private static DPoPResourceMetadataException TooLarge(Uri url, string what) =>
        new($"{url} answered with more than {MaxDocumentLength} bytes; a {what} document is far smaller.");

    /// <summary>
    /// The document read by <paramref name="read"/> from its JSON object. Anything else (not JSON, not an object, a
    /// string escape that is not UTF-16, such as a lone surrogate "\uD800", which the parser accepts and
    /// <c>GetString()</c> refuses) is a refused document: the server chose it, so it is never a crash.
    /// </summary>
    public static T Parse<T>(ReadOnlySpan<byte> json, Uri url, Func<JsonElement, T> read)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new DPoPResourceMetadataException($"{url} did not answer with a JSON object.");
            }

            return read(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new DPoPResourceMetadataException($"{url} did not answer with valid JSON.", ex);
        }
    }

    /// <summary>The string members of an array member; none when it is absent or not an array.</summary>
    public static string[] Strings(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];

    /// <summary>A string member, or null when it is absent or not a string.</summary>
    public static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
