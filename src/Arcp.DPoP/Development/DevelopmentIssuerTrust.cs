using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Development;

/// <summary>
/// Makes the DPoP scheme trust the development issuer — only in Development, and only when the application configured
/// no issuer of its own for that scheme: an Authority, MetadataAddress, Configuration(Manager), SigningKeys or
/// IssuerSigningKey(s)/resolver/signature validator always win, and the development issuer then issues nothing
/// (its endpoints answer 404), so a developer is never handed a token their API refuses.
/// </summary>
/// <remarks>
/// A post-configure step, so it sees the final options: configuration binding, <c>AddDPoP(o =&gt; ...)</c> and any
/// <c>Configure&lt;DPoPOptions&gt;</c> registered after it.
/// </remarks>
internal sealed class DevelopmentIssuerTrust : IPostConfigureOptions<DPoPOptions>
{
    private readonly IServiceProvider _services;
    private readonly IHostEnvironment _environment;
    private readonly DPoPDevelopmentIssuerOptions _options;
    private volatile bool _trusted;

    private readonly ILogger _logger;

    public DevelopmentIssuerTrust(IServiceProvider services, IHostEnvironment environment, IOptions<DPoPDevelopmentIssuerOptions> options, ILogger<DPoPDevelopmentIssuer> logger)
    {
        _services = services;
        _environment = environment;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Whether the scheme the issuer serves trusts it (false outside Development or beside a configured issuer).</summary>
    public bool IsTrusted => _trusted;

    /// <summary>
    /// The development issuer's identifier for this request when <paramref name="scheme"/> is the scheme that trusts it
    /// (what the API's RFC 9728 document lists in <c>authorization_servers</c>); otherwise <see langword="null"/>.
    /// </summary>
    public string? AuthorizationServerFor(string scheme, DPoPOptions options, Microsoft.AspNetCore.Http.HttpRequest request) =>
        _trusted && string.Equals(scheme, _options.AuthenticationScheme, StringComparison.Ordinal)
            ? DPoPDevelopmentIssuer.IssuerFor(request, options, DPoPDevelopmentIssuer.NormalizePath(_options.Path))
            : null;

    public void PostConfigure(string? name, DPoPOptions options)
    {
        if (!string.Equals(name, _options.AuthenticationScheme, StringComparison.Ordinal))
        {
            return;
        }

        // The environment comes from the host's configuration (ASPNETCORE_ENVIRONMENT, DOTNET_ENVIRONMENT,
        // --environment), never from a request.
        if (!_environment.IsDevelopment())
        {
            // Logged here, before the scheme's validation: with no other issuer configured that stops the app next.
            _trusted = false;
            DevelopmentIssuerLog.Off(_logger, $"the environment is '{_environment.EnvironmentName}', not Development", _options.Path);
            return;
        }

        if (ConfiguredIssuer(options) is { } configured)
        {
            _trusted = false;
            DevelopmentIssuerLog.Off(_logger, $"the scheme '{name}' has an issuer configured ({configured}), which takes precedence", _options.Path);
            return;
        }

        var issuer = _services.GetRequiredService<DPoPDevelopmentIssuer>();
        var parameters = options.TokenValidationParameters;
        parameters.IssuerSigningKey = issuer.SigningKey.SecurityKey;
        parameters.ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256];

        // The issuer identifier carries the origin the token endpoint was called on; the key is the trust anchor.
        // ValidIssuer(s) the application set are accepted too.
        var explicitIssuers = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(parameters.ValidIssuer))
        {
            explicitIssuers.Add(parameters.ValidIssuer);
        }

        foreach (string valid in parameters.ValidIssuers ?? [])
        {
            explicitIssuers.Add(valid);
        }

        parameters.IssuerValidator ??= (tokenIssuer, _, _) =>
            explicitIssuers.Contains(tokenIssuer) || issuer.IsIssuer(tokenIssuer)
                ? tokenIssuer
                : throw new SecurityTokenInvalidIssuerException($"The token's issuer '{tokenIssuer}' is not this application's development issuer ({issuer.Path}).") { InvalidIssuer = tokenIssuer };

        // A new API has no audience yet: the development issuer's own (the application name) becomes the scheme's.
        bool hasAudience = !string.IsNullOrEmpty(options.Audience) || !string.IsNullOrEmpty(parameters.ValidAudience) ||
            (parameters.ValidAudiences?.Any() ?? false) || parameters.AudienceValidator is not null;
        if (!hasAudience)
        {
            options.Audience = DPoPDevelopmentIssuer.ResolveAudience(_options, options, issuer.ApplicationName);
        }

        _trusted = true;
        DevelopmentIssuerLog.On(_logger, _options.AuthenticationScheme, issuer.Path, issuer.KeyPath);
    }

    private static string? ConfiguredIssuer(DPoPOptions options)
    {
        var parameters = options.TokenValidationParameters;
        return !string.IsNullOrEmpty(options.Authority) ? "Authority"
            : !string.IsNullOrEmpty(options.MetadataAddress) ? "MetadataAddress"
            : options.Configuration is not null || options.ConfigurationManager is not null || parameters.ConfigurationManager is not null ? "Configuration"
            : options.ConfiguredSigningKeys.Count > 0 ? "SigningKeys"
            : parameters.IssuerSigningKey is not null || (parameters.IssuerSigningKeys?.Any() ?? false) ? "IssuerSigningKey(s)"
            : parameters.IssuerSigningKeyResolver is not null || parameters.SignatureValidator is not null ? "a signing key resolver"
            : null;
    }
}
