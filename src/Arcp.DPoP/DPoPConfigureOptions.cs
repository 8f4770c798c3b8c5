using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// Binds <see cref="DPoPOptions"/> from configuration <c>Authentication:Schemes:{scheme}</c>, as JwtBearer does,
/// so <c>Authentication__Schemes__DPoP__Authority</c> in the environment configures a container.
/// </summary>
/// <remarks>
/// Time spans accept a number of seconds (<c>"60"</c>) or <c>hh:mm:ss</c>; <c>AllowedAlgorithms</c> accepts an
/// array or a space-separated string; <c>ValidIssuers</c>/<c>ValidAudiences</c> accept arrays.
/// A value that cannot be read stops the application at startup with the key and the value in the message.
/// </remarks>
internal sealed class DPoPConfigureOptions : IConfigureNamedOptions<DPoPOptions>
{
    private readonly IAuthenticationConfigurationProvider _configurationProvider;

    public DPoPConfigureOptions(IAuthenticationConfigurationProvider configurationProvider)
    {
        _configurationProvider = configurationProvider;
    }

    public void Configure(DPoPOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, DPoPOptions options)
    {
        if (string.IsNullOrEmpty(name))
        {
            return;
        }

        IConfiguration section = _configurationProvider.GetSchemeConfiguration(name);
        if (!section.GetChildren().Any())
        {
            return;
        }

        string path = DPoPDefaults.ConfigurationSectionPrefix + ":" + name + ":";
        options.Authority = section[nameof(DPoPOptions.Authority)] ?? options.Authority;
        options.MetadataAddress = section[nameof(DPoPOptions.MetadataAddress)] ?? options.MetadataAddress;
        options.Audience = section[nameof(DPoPOptions.Audience)] ?? options.Audience;
        options.PublicOrigin = section[nameof(DPoPOptions.PublicOrigin)] ?? options.PublicOrigin;
        options.TrustHostHeader = ReadBool(section, path, nameof(DPoPOptions.TrustHostHeader)) ?? options.TrustHostHeader;
        options.RequireHttpsMetadata = ReadBool(section, path, nameof(DPoPOptions.RequireHttpsMetadata)) ?? options.RequireHttpsMetadata;
        options.SaveToken = ReadBool(section, path, nameof(DPoPOptions.SaveToken)) ?? options.SaveToken;
        options.MapInboundClaims = ReadBool(section, path, nameof(DPoPOptions.MapInboundClaims)) ?? options.MapInboundClaims;
        options.CacheValidatedTokens = ReadBool(section, path, nameof(DPoPOptions.CacheValidatedTokens)) ?? options.CacheValidatedTokens;
        options.ValidatedTokenCacheDuration = ReadTimeSpan(section, path, nameof(DPoPOptions.ValidatedTokenCacheDuration)) ?? options.ValidatedTokenCacheDuration;
        options.ValidatedTokenCacheSize = ReadInt(section, path, nameof(DPoPOptions.ValidatedTokenCacheSize)) ?? options.ValidatedTokenCacheSize;
        options.RequireNonce = ReadBool(section, path, nameof(DPoPOptions.RequireNonce)) ?? options.RequireNonce;
        options.NonceLifetime = ReadTimeSpan(section, path, nameof(DPoPOptions.NonceLifetime)) ?? options.NonceLifetime;
        options.ReplayCheckRetryAfter = ReadTimeSpan(section, path, nameof(DPoPOptions.ReplayCheckRetryAfter)) ?? options.ReplayCheckRetryAfter;
        options.RefreshOnIssuerKeyNotFound = ReadBool(section, path, nameof(DPoPOptions.RefreshOnIssuerKeyNotFound)) ?? options.RefreshOnIssuerKeyNotFound;
        options.ProofLifetime = ReadTimeSpan(section, path, nameof(DPoPOptions.ProofLifetime)) ?? options.ProofLifetime;
        options.ClockSkew = ReadTimeSpan(section, path, nameof(DPoPOptions.ClockSkew)) ?? options.ClockSkew;
        options.BackchannelTimeout = ReadTimeSpan(section, path, nameof(DPoPOptions.BackchannelTimeout)) ?? options.BackchannelTimeout;
        options.MaxProofLength = ReadInt(section, path, nameof(DPoPOptions.MaxProofLength)) ?? options.MaxProofLength;
        options.AllowBearerWithProof = ReadBool(section, path, nameof(DPoPOptions.AllowBearerWithProof)) ?? options.AllowBearerWithProof;
        options.AllowTokensWithoutAudience = ReadBool(section, path, nameof(DPoPOptions.AllowTokensWithoutAudience)) ?? options.AllowTokensWithoutAudience;
        options.MaxRsaKeySize = ReadInt(section, path, nameof(DPoPOptions.MaxRsaKeySize)) ?? options.MaxRsaKeySize;
        options.TokenClockSkew = ReadTimeSpan(section, path, nameof(DPoPOptions.TokenClockSkew)) ?? options.TokenClockSkew;
        options.UseLastKnownGoodConfiguration = ReadBool(section, path, nameof(DPoPOptions.UseLastKnownGoodConfiguration)) ?? options.UseLastKnownGoodConfiguration;
        options.LastKnownGoodLifetime = ReadTimeSpan(section, path, nameof(DPoPOptions.LastKnownGoodLifetime)) ?? options.LastKnownGoodLifetime;

        string? mode = section[nameof(DPoPOptions.Mode)];
        if (mode is not null)
        {
            if (!Enum.TryParse(mode, ignoreCase: true, out DPoPMode parsedMode) || !Enum.IsDefined(parsedMode))
            {
                throw Invalid(path, nameof(DPoPOptions.Mode), mode, "Required or Allowed");
            }

            options.Mode = parsedMode;
        }

        var algorithms = ReadList(section, nameof(DPoPOptions.AllowedAlgorithms));
        if (algorithms.Count > 0)
        {
            options.AllowedAlgorithms.Clear();
            foreach (string algorithm in algorithms)
            {
                options.AllowedAlgorithms.Add(algorithm);
            }
        }

        // RFC 9728 protected resource metadata: ResourceMetadata:Resource, :AuthorizationServers, :ScopesSupported...
        var metadataSection = section.GetSection(nameof(DPoPOptions.ResourceMetadata));
        var metadata = options.ResourceMetadata;
        metadata.Resource = metadataSection[nameof(DPoPResourceMetadataOptions.Resource)] ?? metadata.Resource;
        metadata.ResourceName = metadataSection[nameof(DPoPResourceMetadataOptions.ResourceName)] ?? metadata.ResourceName;
        metadata.ResourceDocumentation = metadataSection[nameof(DPoPResourceMetadataOptions.ResourceDocumentation)] ?? metadata.ResourceDocumentation;
        Replace(metadata.AuthorizationServers, ReadList(metadataSection, nameof(DPoPResourceMetadataOptions.AuthorizationServers)));
        Replace(metadata.ScopesSupported, ReadList(metadataSection, nameof(DPoPResourceMetadataOptions.ScopesSupported)));

        var parameters = options.TokenValidationParameters;
        var issuers = ReadList(section, "ValidIssuers");
        string? issuer = section["ValidIssuer"];
        if (issuer is not null)
        {
            parameters.ValidIssuer = issuer;
        }

        if (issuers.Count > 0)
        {
            parameters.ValidIssuers = issuers;
        }

        var audiences = ReadList(section, "ValidAudiences");
        string? audience = section["ValidAudience"];
        if (audience is not null)
        {
            parameters.ValidAudience = audience;
        }

        if (audiences.Count > 0)
        {
            parameters.ValidAudiences = audiences;
        }

        // The two checks an ARCP deployment may need off: its shared-secret tokens have no iss, and the token it issues
        // after registration has no aud. Lifetime is never bound: an expired token is always refused.
        parameters.ValidateIssuer = ReadBool(section, path, nameof(parameters.ValidateIssuer)) ?? parameters.ValidateIssuer;
        parameters.ValidateAudience = ReadBool(section, path, nameof(parameters.ValidateAudience)) ?? parameters.ValidateAudience;
        parameters.NameClaimType = section[nameof(parameters.NameClaimType)] ?? parameters.NameClaimType;
        parameters.RoleClaimType = section[nameof(parameters.RoleClaimType)] ?? parameters.RoleClaimType;

        var signingKeys = ReadSigningKeys(section, path);
        if (signingKeys.Count > 0)
        {
            parameters.IssuerSigningKeys = [.. parameters.IssuerSigningKeys ?? [], .. signingKeys.Select(k => k.Key)];
            options.ConfiguredSigningKeys.AddRange(signingKeys);
            var issuersOfKeys = signingKeys.Select(k => k.Issuer).OfType<string>().ToList();
            if (issuersOfKeys.Count > 0)
            {
                parameters.ValidIssuers = [.. parameters.ValidIssuers ?? [], .. issuersOfKeys.Except(parameters.ValidIssuers ?? [], StringComparer.Ordinal)];
            }
        }
    }

    // Shared secrets, bound as JwtBearer binds those of 'dotnet user-jwts': SigningKeys:[{ Issuer, Value (base64), Length (bytes) }].
    // Keys have no kid: ARCP's shared-secret tokens have none, so each configured secret is tried.
    private static List<ConfiguredSigningKey> ReadSigningKeys(IConfiguration section, string path)
    {
        var keys = new List<ConfiguredSigningKey>();
        foreach (var entry in section.GetSection("SigningKeys").GetChildren())
        {
            string entryPath = "SigningKeys:" + entry.Key + ":";
            string? value = entry["Value"];
            byte[] secret;
            try
            {
                secret = string.IsNullOrWhiteSpace(value) ? [] : Convert.FromBase64String(value);
            }
            catch (FormatException)
            {
                throw Invalid(path, entryPath + "Value", "(not shown)", "the shared secret in base64 (e.g. the output of: printf %s \"$JWT_SECRET\" | base64 -w0)");
            }

            if (secret.Length == 0)
            {
                throw new InvalidOperationException($"{path}{entryPath}Value is missing: each SigningKeys entry needs Value, the shared secret in base64.");
            }

            // RFC 7518 §3.2: an HMAC key must be at least as long as the hash (256 bits for HS256). A shorter secret is
            // refused here, naming the entry (never the secret), rather than failing every token at runtime.
            if (secret.Length < 32)
            {
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"{path}{entryPath}Value decodes to {secret.Length} bytes; a shared secret must be at least 32 bytes (256 bits, RFC 7518 §3.2). Use a longer random secret (e.g. openssl rand -base64 32)."));
            }

            int? length = ReadInt(entry, path + entryPath, "Length");
            if (length is not null && length.Value != secret.Length)
            {
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"{path}{entryPath}Length is {length.Value}, but Value decodes to {secret.Length} bytes."));
            }

            string? issuer = entry["Issuer"];
            keys.Add(new(new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(secret), string.IsNullOrEmpty(issuer) ? null : issuer));
        }

        return keys;
    }

    private static void Replace(IList<string> target, List<string> values)
    {
        if (values.Count > 0)
        {
            target.Clear();
            foreach (string value in values)
            {
                target.Add(value);
            }
        }
    }

    private static List<string> ReadList(IConfiguration section, string key)
    {
        var list = new List<string>();
        var child = section.GetSection(key);
        if (child.Value is { } single)
        {
            list.AddRange(single.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        foreach (var item in child.GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(item.Value))
            {
                list.Add(item.Value.Trim());
            }
        }

        return list;
    }

    private static bool? ReadBool(IConfiguration section, string path, string key)
    {
        string? value = section[key];
        if (value is null)
        {
            return null;
        }

        return bool.TryParse(value, out bool result) ? result : throw Invalid(path, key, value, "true or false");
    }

    private static int? ReadInt(IConfiguration section, string path, string key)
    {
        string? value = section[key];
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw Invalid(path, key, value, "a whole number");
    }

    private static TimeSpan? ReadTimeSpan(IConfiguration section, string path, string key)
    {
        string? value = section[key];
        if (value is null)
        {
            return null;
        }

        // A bare number is seconds: TimeSpan.Parse("60") would be sixty days.
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && double.IsFinite(seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Invalid(path, key, value, "a number of seconds or hh:mm:ss");
    }

    private static InvalidOperationException Invalid(string path, string key, string value, string expected) =>
        new($"Configuration '{path}{key}' has the value '{value}', which is not {expected}.");
}
