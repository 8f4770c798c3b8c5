using System.Net;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.Development;

/// <summary>
/// Which <c>Host</c> the development token endpoint answers (DNS rebinding). A web page the developer opens on another
/// site can point its own name at 127.0.0.1 and then call the development server as a same-origin page: the browser
/// sends the attacker's name as <c>Host</c>. Binding to loopback does not stop that, and the endpoint hands a token
/// (any <c>sub</c>, scope or role) to whoever asks, so it answers only names a rebinding page cannot have:
/// <c>localhost</c> and <c>*.localhost</c> (RFC 6761 §6.3: always loopback), IP literals (a rebinding page has a DNS
/// name, never an address), the host of <see cref="DPoPOptions.PublicOrigin"/>, and the names host filtering lists
/// (<c>AllowedHosts</c>, exact or <c>*.suffix</c>; <c>*</c> lists nothing).
/// </summary>
internal static class DevelopmentIssuerHost
{
    /// <summary>Whether <paramref name="host"/> is one the development token endpoint may answer.</summary>
    public static bool Allows(HostString host, DPoPOptions options, HostFilteringOptions? hostFiltering)
    {
        string name = host.Host;
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase) ||
            name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ||
            IPAddress.TryParse(name.Trim('[', ']'), out _))
        {
            return true;
        }

        if (!string.IsNullOrEmpty(options.PublicOrigin) && Uri.TryCreate(options.PublicOrigin, UriKind.Absolute, out var origin) &&
            string.Equals(origin.IdnHost, name, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (string entry in hostFiltering?.AllowedHosts ?? [])
        {
            string allowed = new HostString(entry.Trim()).Host;
            if (allowed.Length == 0 || allowed == "*")
            {
                continue;
            }

            if (DPoPHostPolicy.NameMatches(name, allowed))
            {
                return true;
            }
        }

        return false;
    }
}
