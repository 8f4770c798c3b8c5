using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// An authorization server's metadata (RFC 8414, or OpenID Connect Discovery's document): where its token endpoint is
/// and which DPoP proof algorithms it accepts (RFC 9449 §5.1). An agent takes the issuer from a resource's
/// <see cref="DPoPResourceMetadata.AuthorizationServers"/> and reads it with <see cref="GetForResourceAsync"/>
/// (<see cref="GetAsync(HttpClient, string, CancellationToken)"/> for an issuer it was configured with). The same bounds as <see cref="DPoPResourceMetadata"/>
/// apply (JSON of at most 64 KiB within 10 seconds, https or http to a loopback host), and the document is used only
/// if its <c>issuer</c> is exactly the issuer asked about (RFC 8414 §3.3).
/// </summary>
public sealed class DPoPAuthorizationServerMetadata
{
    /// <summary>The well-known path of RFC 8414 §3.1, inserted between the issuer's host and its path.</summary>
    public const string WellKnownPath = "/.well-known/oauth-authorization-server";

    /// <summary>The path OpenID Connect Discovery 1.0 §4 appends to the issuer, tried when the RFC 8414 URL answers 404.</summary>
    public const string OpenIdConfigurationPath = "/.well-known/openid-configuration";

    private DPoPAuthorizationServerMetadata(string issuer, Uri tokenEndpoint)
    {
        Issuer = issuer;
        TokenEndpoint = tokenEndpoint;
    }

    /// <summary><c>issuer</c>: always the issuer identifier asked about (RFC 8414 §3.3).</summary>
    public string Issuer { get; }

    /// <summary><c>token_endpoint</c>: where to ask for a token (https, or http to a loopback host).</summary>
    public Uri TokenEndpoint { get; }

    /// <summary><c>dpop_signing_alg_values_supported</c> (RFC 9449 §5.1): the proof algorithms the token endpoint accepts.</summary>
    public IReadOnlyList<string> DPoPSigningAlgValuesSupported { get; private init; } = [];

    /// <summary><c>grant_types_supported</c>.</summary>
    public IReadOnlyList<string> GrantTypesSupported { get; private init; } = [];

    /// <summary><c>scopes_supported</c>.</summary>
    public IReadOnlyList<string> ScopesSupported { get; private init; } = [];

    /// <summary>
    /// The RFC 8414 metadata URL of an issuer: the well-known path inserted between its host and its path (§3.1), so
    /// <c>https://as.example.com/tenant</c> has <c>https://as.example.com/.well-known/oauth-authorization-server/tenant</c>.
    /// </summary>
    /// <param name="issuer">The issuer identifier, an absolute URL.</param>
    public static Uri GetMetadataUrl(Uri issuer)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (!issuer.IsAbsoluteUri)
        {
            throw new ArgumentException("The issuer identifier must be an absolute URL.", nameof(issuer));
        }

        string path = issuer.AbsolutePath == "/" ? string.Empty : issuer.AbsolutePath.TrimEnd('/');
        return new Uri(issuer.GetLeftPart(UriPartial.Authority) + WellKnownPath + path);
    }

    /// <summary>
    /// Reads the metadata of <paramref name="issuer"/>: from its RFC 8414 URL (<see cref="GetMetadataUrl"/>), or, when
    /// that answers 404, from <c>{issuer}/.well-known/openid-configuration</c>. Whoever answers, the document is used
    /// only when its <c>issuer</c> is <paramref name="issuer"/>, character for character (RFC 8414 §3.3, §6.2): a
    /// server cannot pass another issuer's token endpoint off as this one's.
    /// </summary>
    /// <param name="http">The client to read with.</param>
    /// <param name="issuer">The issuer identifier, e.g. <c>authorization_servers[0]</c> of the resource's metadata.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="DPoPResourceMetadataException">No usable document, or one of another issuer.</exception>
    public static Task<DPoPAuthorizationServerMetadata> GetAsync(HttpClient http, string issuer, CancellationToken cancellationToken = default) =>
        ReadAsync(http, issuer, resource: null, cancellationToken);

    /// <summary>
    /// Reads the metadata of <paramref name="issuer"/>, one of the authorization servers <paramref name="resource"/>
    /// names (RFC 9728 §2), as <see cref="GetAsync(HttpClient, string, CancellationToken)"/> does. An issuer the
    /// resource does not list is refused, and a plain-http (loopback) issuer only serves a resource on loopback: a
    /// remote resource cannot make the agent send requests to a service on its own machine.
    /// </summary>
    /// <param name="http">The client to read with.</param>
    /// <param name="resource">The resource's metadata the issuer was taken from.</param>
    /// <param name="issuer">The issuer identifier, from <paramref name="resource"/>'s <see cref="DPoPResourceMetadata.AuthorizationServers"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="DPoPResourceMetadataException">No usable document, one of another issuer, or an issuer the resource does not name.</exception>
    public static Task<DPoPAuthorizationServerMetadata> GetForResourceAsync(HttpClient http, DPoPResourceMetadata resource, string issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return ReadAsync(http, issuer, resource, cancellationToken);
    }

    private static async Task<DPoPAuthorizationServerMetadata> ReadAsync(HttpClient http, string issuer, DPoPResourceMetadata? resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrEmpty(issuer);
        if (resource is not null && !resource.AuthorizationServers.Contains(issuer, StringComparer.Ordinal))
        {
            throw new DPoPResourceMetadataException($"'{issuer}' is not one of the authorization servers the resource {resource.Resource} names (RFC 9728 §2): it is not read.");
        }

        // RFC 8414 §2: an https URL with no query or fragment (http only to a loopback host, for development).
        if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || !DiscoveryDocument.IsAllowedUrl(issuerUri) ||
            issuerUri.Query.Length > 0 || issuerUri.Fragment.Length > 0 || issuerUri.UserInfo.Length > 0)
        {
            throw new DPoPResourceMetadataException($"'{issuer}' is not an issuer identifier: an absolute https URL (or http to a loopback host) without query or fragment (RFC 8414 §2).");
        }

        if (resource is not null && issuerUri.Scheme == Uri.UriSchemeHttp && !DiscoveryDocument.IsLoopback(resource.Resource))
        {
            throw new DPoPResourceMetadataException($"The issuer '{issuer}' is plain http to a loopback host, but the resource '{resource.Resource}' is not on loopback: it is not read.");
        }

        var metadataUrl = GetMetadataUrl(issuerUri);
        byte[]? body = await DiscoveryDocument.ReadAsync(http, metadataUrl, "authorization server metadata", "RFC 8414 §3.2", notFoundIsNull: true, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            metadataUrl = new Uri(issuer.TrimEnd('/') + OpenIdConfigurationPath);
            body = (await DiscoveryDocument.ReadAsync(http, metadataUrl, "authorization server metadata", "OpenID Connect Discovery §4.2", notFoundIsNull: false, cancellationToken).ConfigureAwait(false))!;
        }

        return Parse(body, issuer, metadataUrl);
    }

    // RFC 8414 §3.2 and §3.3: a JSON object whose issuer is the identifier asked about and that names a token endpoint.
    internal static DPoPAuthorizationServerMetadata Parse(ReadOnlySpan<byte> json, string issuer, Uri metadataUrl) =>
        DiscoveryDocument.Parse(json, metadataUrl, root =>
        {
            string? claimed = DiscoveryDocument.Text(root, "issuer");
            if (!string.Equals(claimed, issuer, StringComparison.Ordinal))
            {
                throw new DPoPResourceMetadataException(
                    $"The metadata at {metadataUrl} is the issuer '{claimed}''s, not '{issuer}''s (RFC 8414 §3.3): it is not used.");
            }

            string? endpoint = DiscoveryDocument.Text(root, "token_endpoint");
            // Plain http (to loopback) only for a loopback issuer: an https issuer cannot send the token request to this machine.
            if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var tokenEndpoint) || !DiscoveryDocument.IsAllowedUrl(tokenEndpoint) || tokenEndpoint.Fragment.Length > 0 ||
                (tokenEndpoint.Scheme == Uri.UriSchemeHttp && metadataUrl.Scheme != Uri.UriSchemeHttp))
            {
                throw new DPoPResourceMetadataException(
                    $"The metadata at {metadataUrl} has no usable token_endpoint ('{endpoint}'): an absolute https URL (or http to a loopback host) without fragment (RFC 8414 §2).");
            }

            return new DPoPAuthorizationServerMetadata(issuer, tokenEndpoint)
            {
                DPoPSigningAlgValuesSupported = DiscoveryDocument.Strings(root, "dpop_signing_alg_values_supported"),
                GrantTypesSupported = DiscoveryDocument.Strings(root, "grant_types_supported"),
                ScopesSupported = DiscoveryDocument.Strings(root, "scopes_supported"),
            };
        });
}
