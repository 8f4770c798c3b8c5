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

    /// <summary>
    /// Whether the request's host is one the application serves: the name by the host filtering rules (exact, or
    /// <c>*.suffix</c>), and the port too, because the expected htu carries it (RFC 9449 §4.3 item 9): a proof made for
    /// another service on the same name but another port must not match here. An explicit port is accepted when it is
    /// the scheme's default (80, 443), the port the request actually arrived on (<paramref name="localPort"/>, 0 when
    /// unknown), or named by an entry <c>host:port</c>.
    /// </summary>
    public bool Allows(HostString host, string scheme, int localPort)
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

        int? port = host.Port;
        bool portIsOurs = port is null || port == localPort ||
            (port == 443 && string.Equals(scheme, "https", StringComparison.OrdinalIgnoreCase)) ||
            (port == 80 && string.Equals(scheme, "http", StringComparison.OrdinalIgnoreCase));

        foreach (string entry in _allowedHosts)
        {
            var allowedHost = new HostString(entry);
            string allowed = allowedHost.Host;
            if (allowedHost.Port is { } allowedPort ? allowedPort != port : !portIsOurs)
            {
                continue;
            }

            if (NameMatches(name, allowed))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a host name matches one entry of host filtering's list, by its rules: the same name ignoring case, or
    /// for <c>*.suffix</c> a name that ends with <c>.suffix</c> and has something before it.
    /// </summary>
    public static bool NameMatches(string name, string allowed) =>
        allowed.StartsWith("*.", StringComparison.Ordinal)
            ? name.Length > allowed.Length - 1 && name.EndsWith(allowed.AsSpan(1), StringComparison.OrdinalIgnoreCase)
            : string.Equals(name, allowed, StringComparison.OrdinalIgnoreCase);
}
