using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// Validates <see cref="DPoPOptions"/> at startup, with every problem in one message that names the setting.
/// </summary>
internal sealed class DPoPOptionsValidator : IValidateOptions<DPoPOptions>
{
    private static readonly TimeSpan MaxProofLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    private readonly IServiceProviderIsService? _isService;
    private readonly IHostEnvironment? _environment;
    private readonly IOptionsMonitor<HostFilteringOptions>? _hostFiltering;

    public DPoPOptionsValidator(IServiceProvider services)
    {
        _environment = services.GetService(typeof(IHostEnvironment)) as IHostEnvironment;
        _hostFiltering = services.GetService(typeof(IOptionsMonitor<HostFilteringOptions>)) as IOptionsMonitor<HostFilteringOptions>;
        // Asks whether a service is registered without building it (building the replay cache would connect to its store).
        _isService = services.GetService(typeof(IServiceProviderIsService)) as IServiceProviderIsService;
    }

    private bool IsRegistered(Type service) => _isService?.IsService(service) ?? true;

    public ValidateOptionsResult Validate(string? name, DPoPOptions options)
    {
        var errors = new List<string>();
        string scheme = $"DPoP scheme '{name}'";
        var parameters = options.TokenValidationParameters;

        if (parameters is null)
        {
            errors.Add($"{scheme}: TokenValidationParameters must not be null.");
        }
        else
        {
            bool hasKeys = options.ConfigurationManager is not null || parameters.ConfigurationManager is not null ||
                parameters.IssuerSigningKey is not null || (parameters.IssuerSigningKeys?.Any() ?? false) ||
                parameters.IssuerSigningKeyResolver is not null || parameters.SignatureValidator is not null;
            if (!hasKeys)
            {
                errors.Add($"{scheme}: there is no way to validate access tokens. Set Authority (or MetadataAddress) to the token issuer, " +
                    "or TokenValidationParameters.IssuerSigningKey(s).");
            }

            bool hasAudience = !string.IsNullOrEmpty(options.Audience) || !string.IsNullOrEmpty(parameters.ValidAudience) || (parameters.ValidAudiences?.Any() ?? false) ||
                parameters.AudienceValidator is not null;
            if (parameters.ValidateAudience && !hasAudience)
            {
                errors.Add($"{scheme}: no audience is configured. Set Audience (configuration key Authentication:Schemes:{name}:Audience) " +
                    "to the aud your API's tokens carry, or set TokenValidationParameters.ValidateAudience = false.");
            }
        }

        CheckAddress(errors, scheme, nameof(DPoPOptions.Authority), options.Authority, options.RequireHttpsMetadata);
        bool metadataDerivedFromAuthority = !string.IsNullOrEmpty(options.Authority) && options.MetadataAddress is not null &&
            options.MetadataAddress.StartsWith(options.Authority.TrimEnd('/'), StringComparison.Ordinal);
        if (!metadataDerivedFromAuthority)
        {
            CheckAddress(errors, scheme, nameof(DPoPOptions.MetadataAddress), options.MetadataAddress, options.RequireHttpsMetadata);
        }

        if (!Enum.IsDefined(options.Mode))
        {
            errors.Add($"{scheme}: Mode must be Required or Allowed.");
        }

        if (options.ProofLifetime <= TimeSpan.Zero || options.ProofLifetime > MaxProofLifetime)
        {
            errors.Add($"{scheme}: ProofLifetime is {options.ProofLifetime}; it must be more than zero and at most {MaxProofLifetime} (RFC 9449 §11.1: keep the window short).");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > MaxClockSkew)
        {
            errors.Add($"{scheme}: ClockSkew is {options.ClockSkew}; it must be from zero to {MaxClockSkew}.");
        }

        // A missing store is a startup error, not a first-request surprise.
        if (!IsRegistered(typeof(IDPoPReplayCache)))
        {
            errors.Add($"{scheme}: no IDPoPReplayCache is registered, so replayed proofs could not be refused. Keep the default " +
                "(in-memory) or register a shared one, e.g. AddDPoPRedisReplayCache(...).");
        }

        if (options.RequireNonce)
        {
            if (!IsRegistered(typeof(IDPoPNonceService)))
            {
                errors.Add($"{scheme}: RequireNonce is on but no IDPoPNonceService is registered.");
            }

            if (options.NonceLifetime < TimeSpan.FromSeconds(10) || options.NonceLifetime > TimeSpan.FromHours(1))
            {
                errors.Add($"{scheme}: NonceLifetime is {options.NonceLifetime}; it must be from 10 seconds to 1 hour.");
            }
        }

        if (options.CacheValidatedTokens &&
            (options.ValidatedTokenCacheDuration <= TimeSpan.Zero || options.ValidatedTokenCacheDuration > TimeSpan.FromHours(1) ||
             options.ValidatedTokenCacheSize < 1))
        {
            errors.Add($"{scheme}: with CacheValidatedTokens, ValidatedTokenCacheDuration must be more than zero and at most 1 hour, and ValidatedTokenCacheSize at least 1.");
        }

        if (options.ReplayCheckRetryAfter < TimeSpan.FromSeconds(1) || options.ReplayCheckRetryAfter > TimeSpan.FromMinutes(5))
        {
            errors.Add($"{scheme}: ReplayCheckRetryAfter is {options.ReplayCheckRetryAfter}; it must be from 1 second to 5 minutes.");
        }

        if (options.MaxProofLength < 512 || options.MaxProofLength > 64 * 1024)
        {
            errors.Add($"{scheme}: MaxProofLength is {options.MaxProofLength}; it must be from 512 to 65536 characters.");
        }

        if (options.MaxRsaKeySize < 2048 || options.MaxRsaKeySize > 8192)
        {
            errors.Add($"{scheme}: MaxRsaKeySize is {options.MaxRsaKeySize}; it must be from 2048 to 8192 bits.");
        }

        if (options.TokenClockSkew is { } tokenSkew && (tokenSkew < TimeSpan.Zero || tokenSkew > TimeSpan.FromMinutes(10)))
        {
            errors.Add($"{scheme}: TokenClockSkew is {tokenSkew}; it must be from zero to 10 minutes.");
        }

        if (options.LastKnownGoodLifetime < TimeSpan.Zero || options.LastKnownGoodLifetime > TimeSpan.FromDays(1))
        {
            errors.Add($"{scheme}: LastKnownGoodLifetime is {options.LastKnownGoodLifetime}; it must be from zero to one day.");
        }

        // Issue 11 item 2: outside Development, the Host header is the client's word unless the application says otherwise.
        if (DPoPHostPolicy.Resolve(options, _environment, _hostFiltering?.CurrentValue) is null)
        {
            errors.Add(DPoPHostPolicy.Unsafe(scheme, name));
        }

        if (options.AllowedAlgorithms.Count == 0)
        {
            errors.Add($"{scheme}: AllowedAlgorithms is empty; no proof could ever be accepted.");
        }

        foreach (string algorithm in options.AllowedAlgorithms)
        {
            if (DPoPAlgorithm.Find(algorithm) is null)
            {
                string why = algorithm.Equals("none", StringComparison.OrdinalIgnoreCase) ? "unsigned proofs prove nothing"
                    : algorithm.StartsWith("HS", StringComparison.OrdinalIgnoreCase) ? "symmetric algorithms cannot prove possession of a public key"
                    : algorithm.Equals("Ed448", StringComparison.OrdinalIgnoreCase) ? "only Ed25519 is supported of the EdDSA curves (use EdDSA or Ed25519)"
                    : "it is not an asymmetric JWS algorithm this platform verifies";
                errors.Add($"{scheme}: AllowedAlgorithms has '{algorithm}', which cannot be allowed: {why}. Supported: {string.Join(' ', DPoPOptions.DefaultAllowedAlgorithms)}.");
            }
        }

        if (options.AllowedAlgorithms.Any(a => DPoPAlgorithm.Find(a) is { IsEdDsa: true }) && !Ed25519Verifier.IsAvailable(out string? ed25519Error))
        {
            errors.Add($"{scheme}: AllowedAlgorithms has EdDSA/Ed25519, but Ed25519 is not available on this platform: the native libsodium " +
                $"that NSec.Cryptography uses could not be loaded ({ed25519Error}). Remove EdDSA and Ed25519 from AllowedAlgorithms, or run on a platform the libsodium package supports.");
        }

        if (!string.IsNullOrEmpty(options.PublicOrigin))
        {
            if (!Uri.TryCreate(options.PublicOrigin, UriKind.Absolute, out var origin) ||
                (origin.Scheme != Uri.UriSchemeHttps && origin.Scheme != Uri.UriSchemeHttp) ||
                !string.IsNullOrEmpty(origin.Query) || !string.IsNullOrEmpty(origin.Fragment) || !string.IsNullOrEmpty(origin.UserInfo) ||
                !HtuNormalizer.TryNormalize(options.PublicOrigin, out _, out _))
            {
                errors.Add($"{scheme}: PublicOrigin '{options.PublicOrigin}' must be an absolute http(s) URI such as https://api.example.com, without query, fragment or userinfo.");
            }
        }

        ProtectedResource.Validate(errors, scheme, options.ResourceMetadata);

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckAddress(List<string> errors, string scheme, string setting, string? value, bool requireHttps)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add($"{scheme}: {setting} '{value}' is not an absolute http(s) URI.");
        }
        else if (requireHttps && uri.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add($"{scheme}: {setting} '{value}' must use https. Set RequireHttpsMetadata = false only in development.");
        }
    }
}
