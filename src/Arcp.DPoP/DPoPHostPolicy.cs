using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Arcp.DPoP;

/// <summary>
/// Whose word the expected <c>htu</c>'s origin is (RFC 9449 §4.3 item 9). Without <see cref="DPoPOptions.PublicOrigin"/>
/// it comes from the request's <c>Host</c> header, which the client chooses: a proof made for another API that
/// accepts the same tokens could be replayed here by sending that API's host. So outside Development the host is
/// trusted only when the application says so: host filtering names its hosts (<c>AllowedHosts</c>), or
/// <see cref="DPoPOptions.TrustHostHeader"/> is on (a proxy in front sets Host, or ForwardedHeaders does).
/// </summary>
internal sealed class DPoPHostPolicy
{
    private static readonly DPoPHostPolicy AnyHost = new(null);

    private readonly string[]? _allowedHosts;

    private DPoPHostPolicy(string[]? allowedHosts)
    {
        _allowedHosts = allowedHosts;
    }

    /// <summary>The hosts the handler accepts, or null when the host is not the handler's to judge.</summary>
    public IReadOnlyList<string>? AllowedHosts => _allowedHosts;

    /// <summary>The policy for these options, or null (with the reason) when the Host header would be trusted blindly.</summary>
    public static DPoPHostPolicy? Resolve(DPoPOptions options, IHostEnvironment? environment, HostFilteringOptions? hostFiltering)
    {
        if (!string.IsNullOrEmpty(options.PublicOrigin) || options.TrustHostHeader || (environment?.IsDevelopment() ?? false))
        {
            return AnyHost;
        }

        var hosts = hostFiltering?.AllowedHosts;
        if (hosts is null || hosts.Count == 0 || hosts.Any(h => string.IsNullOrWhiteSpace(h) || h.Trim() == "*"))
        {
            return null;
        }

        return new DPoPHostPolicy([.. hosts.Select(h => h.Trim())]);
    }

    /// <summary>The message of the startup error for a scheme with no policy.</summary>
    public static string Unsafe(string scheme, string? name) =>
        $"{scheme}: outside Development the htu a DPoP proof must carry would be built from the request's Host header, which the client chooses " +
        "(a proof made for another API that accepts the same tokens could then be replayed here). Set PublicOrigin " +
        $"(configuration key Authentication:Schemes:{name}:PublicOrigin) to this API's public origin, or name this API's hosts in " +
        "AllowedHosts (host filtering, e.g. \"api.example.com\"), or set TrustHostHeader = true when a proxy you control sets the Host " +
        "(or ForwardedHeaders rewrites it). See docs/behind-a-proxy.md.";

    /// <summary>Whether the request's host is one the application serves (the host filtering rules: exact, or <c>*.suffix</c>).</summary>
    public bool Allows(HostString host)
    {
        if (_allowedHosts is null)
        {
            return true;
        }

        string name = host.Host;
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        foreach (string allowed in _allowedHosts)
        {
            if (allowed.StartsWith("*.", StringComparison.Ordinal)
                ? name.Length > allowed.Length - 1 && name.EndsWith(allowed.AsSpan(1), StringComparison.OrdinalIgnoreCase)
                : string.Equals(name, allowed, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
