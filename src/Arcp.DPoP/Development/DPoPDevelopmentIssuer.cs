using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.Development;

/// <summary>
/// DEVELOPMENT ONLY. The development issuer's signing key and token maker, registered by
/// <see cref="Microsoft.Extensions.DependencyInjection.DPoPDevelopmentIssuerExtensions.AddDevelopmentIssuer(Microsoft.AspNetCore.Authentication.AuthenticationBuilder)"/>.
/// Integration tests of an API can resolve it to make tokens the API trusts (the role <c>dotnet user-jwts create</c>
/// plays for JwtBearer), including ones its token endpoint never issues (unbound, expired, another audience).
/// </summary>
/// <remarks>
/// Resolving it outside the Development environment throws: the key is never read or made there.
/// </remarks>
public sealed class DPoPDevelopmentIssuer : IDisposable
{
    private readonly DevelopmentSigningKey _key;
    private readonly DPoPDevelopmentIssuerOptions _options;
    private readonly IOptionsMonitor<DPoPOptions> _schemeOptions;
    private readonly TimeProvider _timeProvider;
    private readonly string _applicationName;
    private readonly string _path;

    /// <summary>Loads (or makes) the signing key; only in the Development environment.</summary>
    /// <param name="environment">The host environment: must be Development.</param>
    /// <param name="options">The issuer's options.</param>
    /// <param name="schemeOptions">The DPoP scheme's options (audience, public origin).</param>
    /// <param name="timeProvider">The clock for <c>iat</c>/<c>exp</c>.</param>
    /// <exception cref="InvalidOperationException">The environment is not Development, or the key file is unusable.</exception>
    public DPoPDevelopmentIssuer(IHostEnvironment environment, IOptions<DPoPDevelopmentIssuerOptions> options, IOptionsMonitor<DPoPOptions> schemeOptions, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        if (!environment.IsDevelopment())
        {
            throw new InvalidOperationException(
                $"The DPoP development issuer exists only in the Development environment; this one is '{environment.EnvironmentName}'. Configure a real issuer (Authentication:Schemes:DPoP:Authority).");
        }

        _options = options.Value;
        _path = NormalizePath(_options.Path);
        if (_options.TokenLifetime <= TimeSpan.Zero || _options.TokenLifetime > TimeSpan.FromHours(24))
        {
            throw new InvalidOperationException($"DPoPDevelopmentIssuerOptions.TokenLifetime is {_options.TokenLifetime}; it must be more than zero and at most 24 hours.");
        }

        _schemeOptions = schemeOptions;
        _timeProvider = timeProvider;
        _applicationName = string.IsNullOrEmpty(environment.ApplicationName) ? "dpop-dev-api" : environment.ApplicationName;
        KeyPath = ResolveKeyPath(_options.KeyPath, environment.ContentRootPath);
        _key = DevelopmentSigningKey.LoadOrCreate(KeyPath);
    }

    /// <summary>The file the signing key is kept in.</summary>
    public string KeyPath { get; }

    /// <summary>The key's <c>kid</c> (its RFC 7638 thumbprint), as in the JWKS and in token headers.</summary>
    public string KeyId => _key.KeyId;

    /// <summary>
    /// The issuer identifier of tokens made by <see cref="CreateToken"/>: the scheme's <see cref="DPoPOptions.PublicOrigin"/>
    /// (else <c>http://localhost</c>) plus the issuer's path. The token endpoint uses the origin it was called on.
    /// </summary>
    public string Issuer => (SchemeOptions.PublicOrigin?.TrimEnd('/') ?? "http://localhost") + _path;

    internal string Path => _path;

    internal DevelopmentSigningKey SigningKey => _key;

    internal DPoPDevelopmentIssuerOptions Options => _options;

    internal DPoPOptions SchemeOptions => _schemeOptions.Get(_options.AuthenticationScheme);

    /// <summary>Makes a signed access token (<c>typ</c> <c>at+jwt</c>, ES256) the development-trusting scheme accepts.</summary>
    /// <param name="subject">The <c>sub</c> (also <c>client_id</c>).</param>
    /// <param name="jkt">The RFC 7638 thumbprint of the client's key, for <c>cnf.jkt</c> (RFC 9449 §6.1); <see langword="null"/> for an unbound token.</param>
    /// <param name="scope">The <c>scope</c> claim (space-separated), if any.</param>
    /// <param name="roles">The <c>role</c> claim, if any (one role: a string; several: an array).</param>
    /// <param name="lifetime">How long the token lives; default <see cref="DPoPDevelopmentIssuerOptions.TokenLifetime"/>.</param>
    /// <param name="audience">The <c>aud</c>; default the scheme's audience (see <see cref="DPoPDevelopmentIssuerOptions.Audience"/>).</param>
    /// <param name="issuedAt">The <c>iat</c> (and <c>nbf</c>); default now.</param>
    public string CreateToken(string subject, string? jkt, string? scope = null, IEnumerable<string>? roles = null,
        TimeSpan? lifetime = null, string? audience = null, DateTimeOffset? issuedAt = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        return CreateTokenFor(Issuer, subject, jkt, scope, roles?.ToList() ?? [], lifetime ?? _options.TokenLifetime, audience ?? Audience(), issuedAt ?? _timeProvider.GetUtcNow());
    }

    internal string Audience() => ResolveAudience(_options, SchemeOptions, _applicationName);

    internal static string ResolveAudience(DPoPDevelopmentIssuerOptions options, DPoPOptions scheme, string applicationName) =>
        options.Audience
        ?? scheme.Audience
        ?? scheme.TokenValidationParameters.ValidAudience
        ?? scheme.TokenValidationParameters.ValidAudiences?.FirstOrDefault()
        ?? applicationName;

    internal string ApplicationName => _applicationName;

    internal string CreateTokenFor(string issuer, string subject, string? jkt, string? scope, IReadOnlyList<string> roles, TimeSpan lifetime, string audience, DateTimeOffset issuedAt)
    {
        var header = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(header))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", "ES256");
            writer.WriteString("typ", "at+jwt"); // RFC 9068 §2.1
            writer.WriteString("kid", _key.KeyId);
            writer.WriteEndObject();
        }

        long iat = issuedAt.ToUnixTimeSeconds();
        var payload = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            writer.WriteString("iss", issuer);
            writer.WriteString("sub", subject);
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", iat);
            writer.WriteNumber("nbf", iat);
            writer.WriteNumber("exp", iat + (long)lifetime.TotalSeconds);
            writer.WriteString("jti", Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)));
            writer.WriteString("client_id", subject);
            if (!string.IsNullOrEmpty(scope))
            {
                writer.WriteString("scope", scope);
            }

            if (roles.Count == 1)
            {
                writer.WriteString("role", roles[0]);
            }
            else if (roles.Count > 1)
            {
                writer.WriteStartArray("role");
                foreach (string role in roles)
                {
                    writer.WriteStringValue(role);
                }

                writer.WriteEndArray();
            }

            if (jkt is not null)
            {
                // RFC 9449 §6.1: the token is bound to the key whose thumbprint this is.
                writer.WriteStartObject("cnf");
                writer.WriteString("jkt", jkt);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        string signingInput = Base64Url.EncodeToString(header.WrittenSpan) + "." + Base64Url.EncodeToString(payload.WrittenSpan);
        return signingInput + "." + Base64Url.EncodeToString(_key.Sign(Encoding.ASCII.GetBytes(signingInput)));
    }

    /// <summary>
    /// Whether <paramref name="issuer"/> names this development issuer: an absolute http(s) URI, without query,
    /// fragment or user information, whose path ends with the issuer's path. The origin is not pinned because the
    /// token endpoint names the origin it was called on (localhost, 127.0.0.1, a test server); the trust rests on the key.
    /// </summary>
    internal bool IsIssuer(string? issuer) => IsIssuer(issuer, _path);

    internal static bool IsIssuer(string? issuer, string path) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) &&
        (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) &&
        uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0 &&
        uri.AbsolutePath.EndsWith(path, StringComparison.Ordinal);

    /// <summary>
    /// The issuer identifier for a request (RFC 8414 §2: the URL its metadata is found under): the scheme's
    /// <see cref="DPoPOptions.PublicOrigin"/>, else the origin the client used, plus the path base and the issuer's
    /// path. The one rule for the metadata's <c>issuer</c>, the tokens' <c>iss</c> and the API's RFC 9728
    /// <c>authorization_servers</c>.
    /// </summary>
    internal static string IssuerFor(Microsoft.AspNetCore.Http.HttpRequest request, DPoPOptions options, string path) =>
        (options.PublicOrigin?.TrimEnd('/') ?? request.Scheme + "://" + request.Host.ToUriComponent()) + request.PathBase.ToUriComponent() + path;

    internal static string NormalizePath(string? path)
    {
        path = string.IsNullOrWhiteSpace(path) ? "/dev-issuer" : path.Trim().TrimEnd('/');
        if (path.Length == 0 || path[0] != '/' || path.Contains('?', StringComparison.Ordinal) || path.Contains('#', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"DPoPDevelopmentIssuerOptions.Path '{path}' must be a path starting with '/', e.g. /dev-issuer.");
        }

        return path;
    }

    private static string ResolveKeyPath(string? keyPath, string contentRoot) =>
        string.IsNullOrEmpty(keyPath)
            ? System.IO.Path.Combine(contentRoot, DevelopmentSigningKey.DefaultFolder, DevelopmentSigningKey.DefaultFileName)
            : System.IO.Path.GetFullPath(keyPath, contentRoot);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
