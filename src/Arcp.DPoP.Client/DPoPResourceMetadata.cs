using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// A protected resource's metadata (OAuth 2.0 Protected Resource Metadata, RFC 9728): which authorization servers
/// issue its tokens, which proof algorithms it accepts, whether it requires DPoP-bound tokens. An agent that knows only
/// an API's URL reads it with <see cref="GetAsync(HttpClient, Uri, CancellationToken)"/>, or follows the
/// <see cref="DPoPProblem.ResourceMetadata"/> URL of a 401 challenge. A document is read only if it is JSON of at most
/// 64 KiB that arrives within 10 seconds, and used only if its <c>resource</c> is the resource asked about.
/// </summary>
public sealed class DPoPResourceMetadata
{
    /// <summary>The well-known path of RFC 9728 §3.</summary>
    public const string WellKnownPath = "/.well-known/oauth-protected-resource";

    private DPoPResourceMetadata(Uri resource)
    {
        Resource = resource;
    }

    /// <summary>The resource identifier: always the one asked about (RFC 9728 §3.3).</summary>
    public Uri Resource { get; }

    /// <summary><c>authorization_servers</c>: issuer identifiers of the authorization servers to ask for a token (RFC 8414).</summary>
    public IReadOnlyList<string> AuthorizationServers { get; private init; } = [];

    /// <summary><c>dpop_signing_alg_values_supported</c>: the proof algorithms the resource accepts.</summary>
    public IReadOnlyList<string> DPoPSigningAlgValuesSupported { get; private init; } = [];

    /// <summary><c>dpop_bound_access_tokens_required</c>: whether only DPoP-bound tokens are accepted.</summary>
    public bool DPoPBoundAccessTokensRequired { get; private init; }

    /// <summary><c>bearer_methods_supported</c>: how the token may be sent (<c>header</c>).</summary>
    public IReadOnlyList<string> BearerMethodsSupported { get; private init; } = [];

    /// <summary><c>scopes_supported</c>.</summary>
    public IReadOnlyList<string> ScopesSupported { get; private init; } = [];

    /// <summary><c>resource_name</c>.</summary>
    public string? ResourceName { get; private init; }

    /// <summary><c>resource_documentation</c>.</summary>
    public string? ResourceDocumentation { get; private init; }

    /// <summary>
    /// The metadata URL of a resource identifier: the well-known path inserted between its host and its path
    /// (RFC 9728 §3.1), so <c>https://api.example.com/mcp</c> has <c>https://api.example.com/.well-known/oauth-protected-resource/mcp</c>.
    /// </summary>
    /// <param name="resource">The resource identifier (an absolute https URL, or http to a loopback host).</param>
    public static Uri GetMetadataUrl(Uri resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!resource.IsAbsoluteUri)
        {
            throw new ArgumentException("The resource identifier must be an absolute URL.", nameof(resource));
        }

        string path = resource.AbsolutePath == "/" ? string.Empty : resource.AbsolutePath;
        return new Uri(resource.GetLeftPart(UriPartial.Authority) + WellKnownPath + path + resource.Query);
    }

    /// <summary>Reads the metadata of <paramref name="resource"/> from its well-known URL (RFC 9728 §3.1).</summary>
    /// <param name="http">The client to read with.</param>
    /// <param name="resource">The resource identifier, e.g. the API's base URL.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="DPoPResourceMetadataException">No usable document, or one that describes another resource.</exception>
    public static Task<DPoPResourceMetadata> GetAsync(HttpClient http, Uri resource, CancellationToken cancellationToken = default) =>
        GetFromAsync(http, resource, GetMetadataUrl(resource), cancellationToken);

    // Bounds: documents of at most 64 KiB, read within 10 seconds; a redirect is followed only as the HttpClient does.

    /// <summary>
    /// Reads the metadata of <paramref name="resource"/> from <paramref name="metadataUrl"/>, e.g. the
    /// <see cref="DPoPProblem.ResourceMetadata"/> of a 401 from that resource. Whoever answers, the document is used only
    /// when its <c>resource</c> is <paramref name="resource"/> (RFC 9728 §3.3, §7.3): a resource cannot make an agent
    /// trust another resource's authorization servers.
    /// </summary>
    /// <param name="http">The client to read with.</param>
    /// <param name="resource">The resource identifier the agent used.</param>
    /// <param name="metadataUrl">Where the document is (https, or http to a loopback host).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="DPoPResourceMetadataException">No usable document, or one that describes another resource.</exception>
    public static async Task<DPoPResourceMetadata> GetFromAsync(HttpClient http, Uri resource, Uri metadataUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(metadataUrl);
        if (!DiscoveryDocument.IsAllowedUrl(metadataUrl))
        {
            throw new DPoPResourceMetadataException($"The metadata URL '{metadataUrl}' must be an absolute https URL (or http to a loopback host).");
        }

        // Plain http to loopback serves a resource on loopback (development); a remote resource naming one would make the
        // agent send a request to a service on its own machine, which it never asked to talk to.
        if (metadataUrl.Scheme == Uri.UriSchemeHttp && !(resource.IsAbsoluteUri && DiscoveryDocument.IsLoopback(resource)))
        {
            throw new DPoPResourceMetadataException($"The metadata URL '{metadataUrl}' is plain http to a loopback host, but the resource '{resource}' is not on loopback: it is not read.");
        }

        byte[] body = (await DiscoveryDocument.ReadAsync(http, metadataUrl, "protected resource metadata", "RFC 9728 §3.2", notFoundIsNull: false, cancellationToken).ConfigureAwait(false))!;

        return Parse(body, resource, metadataUrl);
    }

    // RFC 9728 §3.2 and §3.3: a JSON object whose resource is the identifier the agent used, else nothing is trusted.
    internal static DPoPResourceMetadata Parse(ReadOnlySpan<byte> json, Uri resource, Uri metadataUrl) =>
        DiscoveryDocument.Parse(json, metadataUrl, root =>
        {
            string? claimed = DiscoveryDocument.Text(root, "resource");
            if (claimed is null || !Uri.TryCreate(claimed, UriKind.Absolute, out var claimedUri) ||
                Uri.Compare(claimedUri, resource, UriComponents.HttpRequestUrl, UriFormat.UriEscaped, StringComparison.Ordinal) != 0)
            {
                throw new DPoPResourceMetadataException(
                    $"The metadata at {metadataUrl} describes the resource '{claimed}', not '{resource}' (RFC 9728 §3.3): it is not used.");
            }

            return new DPoPResourceMetadata(resource)
            {
                AuthorizationServers = DiscoveryDocument.Strings(root, "authorization_servers"),
                DPoPSigningAlgValuesSupported = DiscoveryDocument.Strings(root, "dpop_signing_alg_values_supported"),
                DPoPBoundAccessTokensRequired = root.TryGetProperty("dpop_bound_access_tokens_required", out var b) && b.ValueKind == JsonValueKind.True,
                BearerMethodsSupported = DiscoveryDocument.Strings(root, "bearer_methods_supported"),
                ScopesSupported = DiscoveryDocument.Strings(root, "scopes_supported"),
                ResourceName = DiscoveryDocument.Text(root, "resource_name"),
                ResourceDocumentation = DiscoveryDocument.Text(root, "resource_documentation"),
            };
        });
}
