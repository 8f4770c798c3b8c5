using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// The schemes whose protected resource metadata the application mapped (in mapping order), and the endpoint that
/// serves them. The handler asks it whether to put <c>resource_metadata</c> in its challenges (RFC 9728 §5.1).
/// </summary>
internal sealed class ProtectedResourceMetadataEndpoint
{
    // Bounds the wait for the issuer's metadata when the document takes its authorization server from it.
    private static readonly TimeSpan IssuerWait = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private string[] _schemes = [];

    /// <summary>The endpoint's convention builder, once mapped: mapping another scheme returns the same endpoint.</summary>
    public IEndpointConventionBuilder? Builder { get; set; }

    /// <summary>Adds a scheme; false when it was already there.</summary>
    public bool Add(string scheme)
    {
        lock (_lock)
        {
            if (Array.IndexOf(_schemes, scheme) >= 0)
            {
                return false;
            }

            _schemes = [.. _schemes, scheme];
            return true;
        }
    }

    /// <summary>Whether the scheme's document is mapped.</summary>
    public bool IsMapped(string scheme) => Array.IndexOf(Volatile.Read(ref _schemes), scheme) >= 0;

    /// <summary>The <c>resource_metadata</c> URL for the scheme's challenge, or null when none is mapped or the Host is not vouched for.</summary>
    public string? ChallengeUrl(string scheme, DPoPOptions options, DPoPSchemeState state, HttpRequest request) =>
        IsMapped(scheme) && ProtectedResource.Identifier(options, state, request) is { } resource ? ProtectedResource.MetadataUrl(resource) : null;

    /// <summary>
    /// Serves the document of the first mapped scheme whose resource identifier's well-known URL is this request's:
    /// 404 for another path, 421 when the request's Host is not one the API serves (so no document is built from it).
    /// </summary>
    public async Task ServeAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var monitor = services.GetRequiredService<IOptionsMonitor<DPoPOptions>>();
        var states = services.GetRequiredService<DPoPSchemeStates>();
        var response = context.Response;
        bool hostRefused = false;
        foreach (string scheme in Volatile.Read(ref _schemes))
        {
            var options = monitor.Get(scheme);
            var state = states.Get(scheme, options);
            if (ProtectedResource.Identifier(options, state, context.Request) is not { } resource)
            {
                hostRefused = true;
                continue;
            }

            if (!ProtectedResource.IsDocumentPath(resource, context.Request.PathBase.Add(context.Request.Path)))
            {
                continue;
            }

            var (servers, complete) = await AuthorizationServersAsync(context, scheme, options, state).ConfigureAwait(false);
            byte[] document = ProtectedResourceMetadataDocument.Get(options, resource, servers);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";

            // Public facts, the same for every client: caches may keep them. A document made while the issuer's metadata
            // could not be read lacks that issuer, so it is not kept.
            response.Headers.CacheControl = complete ? "public, max-age=3600" : "no-store";
            response.ContentLength = document.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await response.Body.WriteAsync(document, context.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        response.StatusCode = hostRefused ? StatusCodes.Status421MisdirectedRequest : StatusCodes.Status404NotFound;
    }

    // authorization_servers: configured, else the development issuer when the scheme trusts it (it sets an
    // IssuerValidator, no ValidIssuer), else the issuer the scheme's metadata publishes (its "issuer", not the
    // metadata URL), then ValidIssuer(s). "complete" is false when the metadata could not be read in time.
    private async ValueTask<(IReadOnlyList<string> Servers, bool Complete)> AuthorizationServersAsync(HttpContext context, string scheme, DPoPOptions options, DPoPSchemeState state)
    {
        var configured = options.ResourceMetadata.AuthorizationServers;
        if (configured.Count > 0)
        {
            return (configured as IReadOnlyList<string> ?? [.. configured], true);
        }

        var parameters = options.TokenValidationParameters;
        if (DevelopmentIssuer(context, scheme, options, state) is { } development)
        {
            var withDevelopment = new List<string>(2) { development };
            AddIssuer(withDevelopment, parameters.ValidIssuer);
            foreach (string issuer in parameters.ValidIssuers ?? [])
            {
                AddIssuer(withDevelopment, issuer);
            }

            return (withDevelopment, true);
        }

        if (options.ConfigurationManager is null && parameters.ValidIssuers is null)
        {
            return (string.IsNullOrEmpty(parameters.ValidIssuer) ? [] : SingleIssuer(parameters.ValidIssuer), true);
        }

        var servers = new List<string>(2);
        bool complete = true;
        if (options.ConfigurationManager is { } manager)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            wait.CancelAfter(IssuerWait);
            try
            {
                var configuration = await manager.GetConfigurationAsync(wait.Token).ConfigureAwait(false);
                if (!string.IsNullOrEmpty(configuration?.Issuer))
                {
                    servers.Add(configuration.Issuer);
                }
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                complete = false;
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<ProtectedResourceMetadataEndpoint>();
                DPoPLog.ResourceMetadataIssuerUnavailable(logger, context.TraceIdentifier, ex);
            }
        }

        AddIssuer(servers, parameters.ValidIssuer);
        foreach (string issuer in parameters.ValidIssuers ?? [])
        {
            AddIssuer(servers, issuer);
        }

        return (servers, complete);
    }

    // The development issuer's identifier for the origin the client used: the one its metadata names and its token
    // endpoint puts in iss. Built from the request's Host only when the scheme vouches for that Host, as htu is.
    private static string? DevelopmentIssuer(HttpContext context, string scheme, DPoPOptions options, DPoPSchemeState state)
    {
        if (context.RequestServices.GetService<Development.DevelopmentIssuerTrust>() is not { } trust)
        {
            return null;
        }

        // Listed only for a host its token endpoint answers on (DevelopmentIssuerHost: no DNS-rebound names).
        var request = context.Request;
        bool originKnown = state.Validator.PublicOrigin is not null ||
            (state.HostPolicy is { } policy && policy.Allows(request.Host, request.Scheme, context.Connection.LocalPort));
        return originKnown && Development.DevelopmentIssuerHost.Allows(request.Host, options, context.RequestServices.GetService<IOptionsMonitor<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>>()?.CurrentValue)
            ? trust.AuthorizationServerFor(scheme, options, request)
            : null;
    }

    // The one-issuer list of the common configuration (ValidIssuer only), kept so serving the document allocates nothing.
    private string[] SingleIssuer(string issuer)
    {
        var last = _lastSingleIssuer;
        if (last is null || !string.Equals(last[0], issuer, StringComparison.Ordinal))
        {
            last = [issuer];
            _lastSingleIssuer = last;
        }

        return last;
    }

    private string[]? _lastSingleIssuer;

    private static void AddIssuer(List<string> servers, string? issuer)
    {
        if (!string.IsNullOrEmpty(issuer) && !servers.Contains(issuer, StringComparer.Ordinal))
        {
            servers.Add(issuer);
        }
    }
}
