using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// The scheme's resource identifier (RFC 9728 §1.2) and the URL of its metadata document (RFC 9728 §3.1), built from
/// the same origin the handler builds <c>htu</c> from: <see cref="DPoPOptions.PublicOrigin"/> when set (the request's
/// Host is then never read), otherwise the request's scheme and host, and only when the scheme's host policy accepts
/// that host (<c>AllowedHosts</c>, <see cref="DPoPOptions.TrustHostHeader"/>, Development), exactly as for <c>htu</c>.
/// </summary>
internal static class ProtectedResource
{
    /// <summary>The well-known path of RFC 9728 §3.</summary>
    public const string WellKnownPath = "/.well-known/oauth-protected-resource";

    /// <summary>Startup checks of <see cref="DPoPResourceMetadataOptions"/>.</summary>
    public static void Validate(List<string> errors, string scheme, DPoPResourceMetadataOptions metadata)
    {
        string? resource = metadata.Resource;
        if (!string.IsNullOrEmpty(resource))
        {
            bool valid = resource[0] == '/'
                ? !resource.StartsWith("//", StringComparison.Ordinal) && resource.AsSpan().IndexOfAny('?', '#') < 0 && HtuNormalizer.TryNormalize("https://h" + resource, out _, out _)
                : IsHttpUrl(resource, allowQuery: false);
            if (!valid)
            {
                errors.Add($"{scheme}: ResourceMetadata:Resource '{resource}' must be a path such as /mcp (appended to PublicOrigin) or an absolute https URL without query or fragment (RFC 9728 §1.2).");
            }
        }

        foreach (string server in metadata.AuthorizationServers)
        {
            if (!IsHttpUrl(server, allowQuery: false))
            {
                errors.Add($"{scheme}: ResourceMetadata:AuthorizationServers has '{server}', which is not an issuer identifier: an absolute https URL without query or fragment (RFC 8414 §2).");
            }
        }

        if (!string.IsNullOrEmpty(metadata.ResourceDocumentation) && !IsHttpUrl(metadata.ResourceDocumentation, allowQuery: true))
        {
            errors.Add($"{scheme}: ResourceMetadata:ResourceDocumentation '{metadata.ResourceDocumentation}' is not an absolute http(s) URL.");
        }
    }

    private static bool IsHttpUrl(string value, bool allowQuery) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) &&
        string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment) && (allowQuery || string.IsNullOrEmpty(uri.Query));

    /// <summary>
    /// The resource identifier for this request, or <see langword="null"/> when it would come from a Host header the
    /// scheme does not vouch for (a spoofed Host never reaches the document or the challenge).
    /// </summary>
    public static string? Identifier(DPoPOptions options, DPoPSchemeState state, HttpRequest request)
    {
        string? configured = options.ResourceMetadata.Resource;
        if (!string.IsNullOrEmpty(configured) && configured[0] != '/')
        {
            return configured; // an absolute identifier, used exactly as the application wrote it (RFC 9728 §3.3)
        }

        string? origin = state.Validator.PublicOrigin;
        if (origin is null)
        {
            if (state.HostPolicy is not { } policy || !policy.Allows(request.Host, request.Scheme, request.HttpContext.Connection.LocalPort) ||
                !HtuNormalizer.TryNormalize(request.Scheme + "://" + request.Host.ToUriComponent() + "/", out string normalized, out _))
            {
                return null;
            }

            origin = normalized.TrimEnd('/');
        }

        return string.IsNullOrEmpty(configured) ? origin : origin + configured.TrimEnd('/');
    }

    /// <summary>The metadata URL of a resource identifier: the well-known path inserted between host and path (RFC 9728 §3.1).</summary>
    public static string MetadataUrl(string resource)
    {
        int path = PathStart(resource);
        return string.Concat(resource.AsSpan(0, path), WellKnownPath, PathOf(resource, path));
    }

    /// <summary>Whether a request for <paramref name="requestPath"/> asks for the document of <paramref name="resource"/>.</summary>
    public static bool IsDocumentPath(string resource, PathString requestPath)
    {
        string expected = WellKnownPath + Uri.UnescapeDataString(PathOf(resource, PathStart(resource)));
        return string.Equals(requestPath.Value, expected, StringComparison.Ordinal);
    }

    // The index of the path after "scheme://authority" (the length when there is none).
    private static int PathStart(string resource)
    {
        int authority = resource.IndexOf("://", StringComparison.Ordinal);
        int path = authority < 0 ? -1 : resource.IndexOf('/', authority + 3);
        return path < 0 ? resource.Length : path;
    }

    // The path, without the terminating slash that follows the host (RFC 9728 §3.1: "https://a.example/" has no path).
    private static string PathOf(string resource, int start) =>
        resource.Length - start <= 1 ? string.Empty : resource[start..];
}
