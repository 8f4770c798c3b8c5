using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.Development;

/// <summary>
/// DEVELOPMENT ONLY. Serves the development issuer: its metadata (OpenID Connect discovery and RFC 8414), its JWKS, and
/// an RFC 9449 §5 token endpoint that issues <c>cnf.jkt</c>-bound access tokens for a valid DPoP proof. It is put in the
/// pipeline only in the Development environment (<see cref="DevelopmentIssuerStartupFilter"/>), and answers only while
/// the scheme trusts the issuer (no issuer of the application's own configured); otherwise requests pass through.
/// </summary>
/// <remarks>
/// The token endpoint validates proofs with <see cref="IDPoPTokenRequestValidator"/>, under the scheme's options, so
/// it shares the API's replay cache and the scheme's <see cref="IDPoPNonceService"/>: with
/// <see cref="DPoPOptions.RequireNonce"/> one nonce serves both (RFC 9449 §8 lets a server that is both authorization
/// and resource server use one nonce; here they are one application on one origin).
/// </remarks>
internal sealed partial class DevelopmentIssuerMiddleware
{
    private const string FormContentType = "application/x-www-form-urlencoded";

    private readonly RequestDelegate _next;
    private readonly IServiceProvider _services;
    private readonly DPoPDevelopmentIssuerOptions _options;
    private readonly string _path;
    private readonly DevelopmentIssuerTrust _trust;
    private readonly IOptionsMonitor<DPoPOptions> _schemeOptions;
    private readonly IDPoPTokenRequestValidator _tokenRequests;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _openIdConfigurationPath;
    private readonly string _authorizationServerMetadataPath;
    private readonly string _jwksPath;
    private readonly string _tokenPath;
    private DPoPDevelopmentIssuer? _issuer;

    public DevelopmentIssuerMiddleware(RequestDelegate next, IServiceProvider services, IOptions<DPoPDevelopmentIssuerOptions> options, DevelopmentIssuerTrust trust,
        IOptionsMonitor<DPoPOptions> schemeOptions, IDPoPTokenRequestValidator tokenRequests, TimeProvider timeProvider, ILogger<DPoPDevelopmentIssuer> logger)
    {
        _next = next;
        _services = services;
        _options = options.Value;
        _path = DPoPDevelopmentIssuer.NormalizePath(_options.Path);
        _trust = trust;
        _schemeOptions = schemeOptions;
        _tokenRequests = tokenRequests;
        _timeProvider = timeProvider;
        _logger = logger;
        _openIdConfigurationPath = _path + "/.well-known/openid-configuration";
        _authorizationServerMetadataPath = "/.well-known/oauth-authorization-server" + _path;
        _jwksPath = _path + "/jwks";
        _tokenPath = _path + "/token";
    }

    public Task InvokeAsync(HttpContext context)
    {
        string? path = context.Request.Path.Value;
        bool openId = string.Equals(path, _openIdConfigurationPath, StringComparison.Ordinal);
        bool oauth = !openId && string.Equals(path, _authorizationServerMetadataPath, StringComparison.Ordinal);
        bool jwks = !openId && !oauth && string.Equals(path, _jwksPath, StringComparison.Ordinal);
        bool token = !openId && !oauth && !jwks && string.Equals(path, _tokenPath, StringComparison.Ordinal);
        if (!(openId || oauth || jwks || token))
        {
            return _next(context);
        }

        var options = _schemeOptions.Get(_options.AuthenticationScheme); // runs DevelopmentIssuerTrust first
        if (!_trust.IsTrusted)
        {
            return _next(context);
        }

        if (token)
        {
            return HttpMethods.IsPost(context.Request.Method) ? TokenAsync(context, options) : MethodNotAllowed(context, HttpMethods.Post);
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            return MethodNotAllowed(context, "GET, HEAD");
        }

        return jwks ? WriteJsonAsync(context, StatusCodes.Status200OK, WriteJwks) : WriteJsonAsync(context, StatusCodes.Status200OK, w => WriteMetadata(w, context, options));
    }

    // Resolved only once the scheme trusts the issuer: beside a configured issuer no key is read or made.
    private DPoPDevelopmentIssuer Issuer => _issuer ??= _services.GetRequiredService<DPoPDevelopmentIssuer>();

    // RFC 8414 §2 members (OpenID Connect Discovery's where they coincide), with RFC 9449 §5.1's dpop_signing_alg_values_supported.
    private void WriteMetadata(Utf8JsonWriter writer, HttpContext context, DPoPOptions options)
    {
        string issuer = IssuerFor(context.Request, options);
        writer.WriteStartObject();
        writer.WriteString("issuer", issuer);
        writer.WriteString("jwks_uri", issuer + "/jwks");
        writer.WriteString("token_endpoint", issuer + "/token");
        WriteArray(writer, "grant_types_supported", ["client_credentials"]);
        WriteArray(writer, "token_endpoint_auth_methods_supported", ["none", "client_secret_basic", "client_secret_post"]);
        WriteArray(writer, "dpop_signing_alg_values_supported", options.AllowedAlgorithms);
        WriteArray(writer, "response_types_supported", []); // RFC 8414 §2 requires it; there is no authorization endpoint
        if (_options.AllowedScopes.Count > 0)
        {
            WriteArray(writer, "scopes_supported", _options.AllowedScopes);
        }

        writer.WriteEndObject();
    }

    private void WriteJwks(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("keys");
        Issuer.SigningKey.WritePublicJwk(writer);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private async Task TokenAsync(HttpContext context, DPoPOptions options)
    {
        var request = context.Request;

        // DNS rebinding: a page on another site that resolves its name to this machine must not get tokens.
        if (!DevelopmentIssuerHost.Allows(request.Host, options, _services.GetService<IOptionsMonitor<HostFilteringOptions>>()?.CurrentValue))
        {
            await ErrorAsync(context, "invalid_request",
                "The development token endpoint answers only on localhost, an IP address, PublicOrigin's host or a host named in AllowedHosts, " +
                "so a web page that points its own name at this machine (DNS rebinding) gets no token. Call it on http://localhost:<port>, " +
                "or name this host in AllowedHosts.").ConfigureAwait(false);
            return;
        }

        // RFC 6749 §3.2: parameters come form-encoded. An empty body asks for the defaults (a development convenience).
        IFormCollection form = FormCollection.Empty;
        if (request.HasFormContentType)
        {
            try
            {
                form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            }
            // NotSupportedException: a charset the platform refuses to decode (utf-7, SYSLIB0001), found when the form
            // reader asks the Content-Type for its encoding; bad input, so a 400 like any unreadable body, never a 500.
            catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException or NotSupportedException)
            {
                await ErrorAsync(context, "invalid_request", "The request body is not a readable " + FormContentType + " form.").ConfigureAwait(false);
                return;
            }
        }
        else if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            await ErrorAsync(context, "invalid_request", "Send the token request parameters as " + FormContentType + " (RFC 6749 §4.4.2).").ConfigureAwait(false);
            return;
        }

        // The grant is checked before the proof, whose validation records its jti last (RFC 9449 §11.1): a request
        // refused for its parameters never uses up the proof.
        if (!TryReadGrant(form, request, out var grant, out string? error, out string? description))
        {
            // RFC 6749 §5.2: a client that authenticated with the Authorization header gets 401 and a challenge.
            bool badClient = string.Equals(error, "invalid_client", StringComparison.Ordinal);
            if (badClient)
            {
                context.Response.Headers.WWWAuthenticate = "Basic";
            }

            await ErrorAsync(context, error!, description!, badClient ? StatusCodes.Status401Unauthorized : StatusCodes.Status400BadRequest).ConfigureAwait(false);
            return;
        }

        // RFC 9449 §5: the library's one token-endpoint validation (every §4.3 check with the handler's htu and origin
        // rules, the scheme's nonce, first use in the handler's replay cache), which sets DPoP-Nonce when it asks for one.
        var proof = await _tokenRequests.ValidateAsync(context, _options.AuthenticationScheme).ConfigureAwait(false);
        if (!proof.Succeeded)
        {
            await ProofErrorAsync(context, proof.Failure, options).ConfigureAwait(false);
            return;
        }

        var lifetime = _options.TokenLifetime;
        string subject = grant.Subject ?? "dev-client-" + proof.Jkt[..8];
        string token = Issuer.CreateTokenFor(IssuerFor(request, options), subject, proof.Jkt, grant.Scope, grant.Roles, lifetime, Issuer.Audience(), _timeProvider.GetUtcNow());
        DevelopmentIssuerLog.TokenIssued(_logger, subject, proof.Jkt);
        await WriteJsonAsync(context, StatusCodes.Status200OK, writer =>
        {
            // RFC 9449 §5: token_type DPoP for a bound token; RFC 6749 §5.1.
            writer.WriteStartObject();
            writer.WriteString("access_token", token);
            writer.WriteString("token_type", DPoPDefaults.AuthorizationScheme);
            writer.WriteNumber("expires_in", (long)lifetime.TotalSeconds);
            if (!string.IsNullOrEmpty(grant.Scope))
            {
                writer.WriteString("scope", grant.Scope);
            }

            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    // An OAuth token endpoint answers in RFC 6749 §5.2's application/json: the failure's RFC 9449 §5 code
    // (invalid_dpop_proof, use_dpop_nonce) and its detail; 503 temporarily_unavailable with Retry-After when the replay
    // cache cannot answer (fail closed).
    private static Task ProofErrorAsync(HttpContext context, DPoPFailure failure, DPoPOptions options)
    {
        if (failure.ProblemType.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(options.ReplayCheckRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return ErrorAsync(context, "temporarily_unavailable", failure.Detail, StatusCodes.Status503ServiceUnavailable);
        }

        return ErrorAsync(context, failure.Error ?? "invalid_dpop_proof", failure.Detail);
    }

    private bool TryReadGrant(IFormCollection form, HttpRequest request, out Grant grant, out string? error, out string? description)
    {
        grant = default;
        error = "invalid_request";
        description = null;
        var devOptions = _options;

        if (form.TryGetValue("grant_type", out var grantTypes) && (grantTypes.Count != 1 || !string.Equals(grantTypes[0], "client_credentials", StringComparison.Ordinal)))
        {
            error = "unsupported_grant_type";
            description = "The development issuer supports grant_type=client_credentials only.";
            return false;
        }

        if (!TryGetSingle(form, "client_id", out string? clientId) || !TryGetSingle(form, "scope", out string? scope) || !TryGetSingle(form, "role", out string? role))
        {
            description = "Each of client_id, scope and role may be sent once at most (RFC 6749 §3.2).";
            return false;
        }

        // RFC 6749 §2.3.1: HTTP Basic with the form-urlencoded client id. Secrets are not checked: this issuer trusts
        // anyone who can reach it, which is why it exists only in Development.
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var authorization) &&
            string.Equals(authorization.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && authorization.Parameter is { } parameter)
        {
            string? basicId = null;
            try
            {
                string credentials = Encoding.UTF8.GetString(Convert.FromBase64String(parameter));
                int colon = credentials.IndexOf(':', StringComparison.Ordinal);
                basicId = Uri.UnescapeDataString((colon < 0 ? credentials : credentials[..colon]).Replace('+', ' '));
            }
            catch (FormatException)
            {
            }

            if (basicId is null || (clientId is not null && !string.Equals(clientId, basicId, StringComparison.Ordinal)))
            {
                error = "invalid_client";
                description = "The Basic credentials are not base64 of client_id:secret, or name another client than client_id.";
                return false;
            }

            clientId = basicId;
        }

        // No client_id: the subject is made from the proof's key once it is validated.
        string? subject = string.IsNullOrEmpty(clientId) ? null : clientId;
        if (subject is not null && !ClientIdPattern().IsMatch(subject))
        {
            description = "client_id must be 1 to 64 letters, digits, '-', '_', '.', ':' or '@'.";
            return false;
        }

        scope = string.IsNullOrWhiteSpace(scope) ? devOptions.DefaultScope : scope;
        var scopes = Split(scope);
        foreach (string item in scopes)
        {
            if (!ScopeTokenPattern().IsMatch(item) || (devOptions.AllowedScopes.Count > 0 && !devOptions.AllowedScopes.Contains(item)))
            {
                error = "invalid_scope";
                description = devOptions.AllowedScopes.Count > 0
                    ? $"The scope '{Sanitize(item)}' is not one this development issuer may grant ({string.Join(' ', devOptions.AllowedScopes)})."
                    : $"The scope '{Sanitize(item)}' is not a scope token (RFC 6749 §3.3).";
                return false;
            }
        }

        var roles = string.IsNullOrWhiteSpace(role) ? [.. devOptions.DefaultRoles] : Split(role);
        foreach (string item in roles)
        {
            if (!ScopeTokenPattern().IsMatch(item) || (devOptions.AllowedRoles.Count > 0 && !devOptions.AllowedRoles.Contains(item)))
            {
                error = "invalid_scope";
                description = devOptions.AllowedRoles.Count > 0
                    ? $"The role '{Sanitize(item)}' is not one this development issuer may grant ({string.Join(' ', devOptions.AllowedRoles)})."
                    : $"The role '{Sanitize(item)}' must be printable ASCII without spaces, quotes or backslashes.";
                return false;
            }
        }

        grant = new Grant(subject, scopes.Count == 0 ? null : string.Join(' ', scopes), roles);
        return true;
    }

    private static bool TryGetSingle(IFormCollection form, string name, out string? value)
    {
        value = null;
        if (!form.TryGetValue(name, out var values))
        {
            return true;
        }

        value = values.Count == 1 ? values[0] : null;
        return values.Count == 1;
    }

    private static List<string> Split(string? value) =>
        value is null ? [] : [.. value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    // Request text echoed in a description: at most 64 printable ASCII characters.
    private static string Sanitize(string value)
    {
        var builder = new StringBuilder(Math.Min(value.Length, 64));
        foreach (char c in value.AsSpan(0, Math.Min(value.Length, 64)))
        {
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return builder.ToString();
    }

    private string IssuerFor(HttpRequest request, DPoPOptions options) => DPoPDevelopmentIssuer.IssuerFor(request, options, _path);

    private static Task MethodNotAllowed(HttpContext context, string allow)
    {
        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        context.Response.Headers.Allow = allow;
        return Task.CompletedTask;
    }

    // RFC 6749 §5.2 error response; RFC 9449 §5 adds invalid_dpop_proof and use_dpop_nonce.
    private static Task ErrorAsync(HttpContext context, string error, string description, int status = StatusCodes.Status400BadRequest) =>
        WriteJsonAsync(context, status, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error", error);
            writer.WriteString("error_description", description);
            writer.WriteEndObject();
        });

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        response.Headers.CacheControl = "no-store"; // RFC 6749 §5.1
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._:@-]{1,64}$")]
    private static partial System.Text.RegularExpressions.Regex ClientIdPattern();

    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    [System.Text.RegularExpressions.GeneratedRegex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$")]
    private static partial System.Text.RegularExpressions.Regex ScopeTokenPattern();

    private readonly record struct Grant(string? Subject, string? Scope, IReadOnlyList<string> Roles);
}
