using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// Validates <see cref="DPoPOptions"/> at startup, with every problem in one message that names the setting.
/// </summary>
internal sealed class DPoPOptionsValidator : IValidateOptions<DPoPOptions>
{
    private static readonly TimeSpan MaxProofLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

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

            bool hasAudience = !string.IsNullOrEmpty(parameters.ValidAudience) || (parameters.ValidAudiences?.Any() ?? false) ||
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

        if (options.MaxProofLength < 512 || options.MaxProofLength > 64 * 1024)
        {
            errors.Add($"{scheme}: MaxProofLength is {options.MaxProofLength}; it must be from 512 to 65536 characters.");
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
                    : "it is not an asymmetric JWS algorithm this platform verifies";
                errors.Add($"{scheme}: AllowedAlgorithms has '{algorithm}', which cannot be allowed: {why}. Supported: {string.Join(' ', DPoPOptions.DefaultAllowedAlgorithms)}.");
            }
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
