using System.Net;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.Client;

/// <summary>Refuses token options that cannot work or would send the client secret in the clear.</summary>
internal sealed class DPoPTokenOptionsValidator : IValidateOptions<DPoPTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, DPoPTokenOptions options)
    {
        var failures = new List<string>();
        if (options.TokenEndpoint is not { IsAbsoluteUri: true } endpoint)
        {
            failures.Add($"DPoPTokenOptions.TokenEndpoint of HttpClient '{name}' must be an absolute URI.");
        }
        else if (endpoint.Scheme != Uri.UriSchemeHttps && !(endpoint.Scheme == Uri.UriSchemeHttp && IsLoopback(endpoint)))
        {
            // RFC 6749 §3.2: the token endpoint is TLS; plain http only to this machine (a development issuer).
            failures.Add($"DPoPTokenOptions.TokenEndpoint of HttpClient '{name}' must be https (http only to a loopback host): {endpoint}.");
        }

        if (!string.IsNullOrEmpty(options.ClientSecret) && string.IsNullOrEmpty(options.ClientId))
        {
            failures.Add($"DPoPTokenOptions.ClientSecret of HttpClient '{name}' is set without a ClientId.");
        }

        if (options.RefreshBeforeExpiry < TimeSpan.Zero)
        {
            failures.Add($"DPoPTokenOptions.RefreshBeforeExpiry of HttpClient '{name}' must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
}
