namespace Arcp.DPoP;

/// <summary>
/// What the scheme's OAuth 2.0 Protected Resource Metadata document (RFC 9728) says beyond what the scheme already
/// knows (its algorithms, its mode, its issuer). Served by <c>app.MapDPoPProtectedResourceMetadata()</c>; bound from
/// configuration <c>Authentication:Schemes:{scheme}:ResourceMetadata</c>.
/// </summary>
/// <remarks>
/// These options live on <see cref="DPoPOptions"/> because the document describes one scheme: its
/// <c>dpop_signing_alg_values_supported</c> are the scheme's <see cref="DPoPOptions.AllowedAlgorithms"/>, its
/// <c>resource</c> is built from the scheme's <see cref="DPoPOptions.PublicOrigin"/>, and its
/// <c>authorization_servers</c> default to the scheme's issuer; keeping them in one section means one place to change.
/// </remarks>
public sealed class DPoPResourceMetadataOptions
{
    /// <summary>
    /// The resource identifier (RFC 9728 §1.2), when it is not the public origin itself: a path such as <c>/mcp</c>,
    /// appended to <see cref="DPoPOptions.PublicOrigin"/> (or, without it, to the request's origin), or an absolute
    /// https URL used exactly as written. A resource with a path is served at the path-suffixed well-known URL
    /// (RFC 9728 §3.1): <c>https://api.example.com/.well-known/oauth-protected-resource/mcp</c>.
    /// </summary>
    public string? Resource { get; set; }

    /// <summary>
    /// The issuer identifiers of the authorization servers whose tokens this API accepts (<c>authorization_servers</c>).
    /// When empty: the issuer published by the scheme's metadata (<see cref="DPoPOptions.Authority"/> /
    /// <see cref="DPoPOptions.MetadataAddress"/>), then <c>ValidIssuer</c> / <c>ValidIssuers</c>.
    /// </summary>
    public IList<string> AuthorizationServers { get; } = new List<string>();

    /// <summary>The scopes this API understands (<c>scopes_supported</c>); omitted when empty.</summary>
    public IList<string> ScopesSupported { get; } = new List<string>();

    /// <summary>A human-readable name of the API (<c>resource_name</c>); omitted when not set.</summary>
    public string? ResourceName { get; set; }

    /// <summary>The URL of the API's documentation for developers (<c>resource_documentation</c>); omitted when not set.</summary>
    public string? ResourceDocumentation { get; set; }
}
