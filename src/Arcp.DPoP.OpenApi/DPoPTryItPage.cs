using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arcp.DPoP.OpenApi;

/// <summary>
/// The try-it page's endpoints: the page, its script and style (embedded resources, served as they are), and
/// <c>config.json</c>, the one place the page learns where the OpenAPI document and the token endpoint are. Every
/// answer carries a Content-Security-Policy that lets the page run only its own script and talk only to its own
/// origin, so neither the token nor anything signed with the key can be sent elsewhere by the page.
/// </summary>
internal sealed class DPoPTryItPage
{
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Lazy<byte[]> Html = new(() => Resource("index.html"));
    private static readonly Lazy<byte[]> Script = new(() => Resource("try-it.js"));
    private static readonly Lazy<byte[]> Style = new(() => Resource("try-it.css"));

    private readonly string _tokenEndpoint;
    private readonly string _openApiDocument;

    public DPoPTryItPage(string tokenEndpoint, string openApiDocument)
    {
        _tokenEndpoint = tokenEndpoint;
        _openApiDocument = openApiDocument;
    }

    /// <summary>A path on this app: the page may fetch nothing else (no scheme, no host, no <c>//</c>).</summary>
    public static void RequireLocalPath(string path, string parameterName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, parameterName);
        if (path[0] != '/' || (path.Length > 1 && (path[1] == '/' || path[1] == '\\')) ||
            path.Any(c => char.IsControl(c) || c is '?' or '#' or '\\' or '"' or '<' or '>'))
        {
            throw new ArgumentException($"'{path}' must be a path on this application, starting with a single '/'.", parameterName);
        }
    }

    public void Map(RouteGroupBuilder group)
    {
        // RequestDelegate overloads: no reflection-based parameter binding, so this stays trimming and AOT safe.
        group.MapGet(string.Empty, ServePageAsync);
        group.MapGet("/try-it.js", context => ServeAsync(context, Script.Value, "text/javascript; charset=utf-8"));
        group.MapGet("/try-it.css", context => ServeAsync(context, Style.Value, "text/css; charset=utf-8"));
        group.MapGet("/config.json", ServeConfigurationAsync);
    }

    private static Task ServePageAsync(HttpContext context)
    {
        // The page's relative links (try-it.js, config.json) need the trailing slash; routing matches with or without it.
        var request = context.Request;
        if (!request.Path.Value!.EndsWith('/'))
        {
            SetHeaders(context.Response);
            context.Response.Redirect(request.PathBase + request.Path + "/");
            return Task.CompletedTask;
        }

        return ServeAsync(context, Html.Value, "text/html; charset=utf-8");
    }

    private async Task ServeConfigurationAsync(HttpContext context)
    {
        var pathBase = context.Request.PathBase;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("openApiDocument", pathBase + _openApiDocument);
            writer.WriteString("tokenEndpoint", pathBase + _tokenEndpoint);
            writer.WriteEndObject();
        }

        await ServeAsync(context, buffer.ToArray(), "application/json; charset=utf-8");
    }

    private static Task ServeAsync(HttpContext context, byte[] content, string contentType)
    {
        var response = context.Response;
        SetHeaders(response);
        response.ContentType = contentType;
        response.ContentLength = content.Length;
        return response.Body.WriteAsync(content, context.RequestAborted).AsTask();
    }

    private static void SetHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(DPoPTryItPage).Assembly.GetManifestResourceStream("Arcp.DPoP.OpenApi.TryIt." + name)
            ?? throw new InvalidOperationException($"The try-it page's resource '{name}' is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
