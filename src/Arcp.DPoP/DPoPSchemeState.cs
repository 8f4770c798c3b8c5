using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// What one scheme's handler builds from its options and keeps while they last: the proof validator (with its key
/// cache), the validated-token cache, the host policy and the token validation parameters it validates with. It is
/// kept apart from <see cref="DPoPOptions"/> so the options stay what the application set: in particular the
/// application's <see cref="DPoPOptions.TokenValidationParameters"/> are copied, never changed (Microsoft.IdentityModel
/// itself writes <c>RefreshBeforeValidation</c> and <c>ValidateWithLKG</c> on the parameters it is given when it uses a
/// configuration manager, so then each request gets its own copy, as JwtBearer does). When only Microsoft.IdentityModel's
/// handler and this library's callbacks see them, the copy is a <see cref="SharedTokenValidationParameters"/>, which
/// Microsoft.IdentityModel does not copy again for every valid token (issue 14).
/// </summary>
internal sealed class DPoPSchemeState
{
    private readonly TokenValidationParameters _parameters;

    public DPoPSchemeState(string scheme, DPoPOptions options, DPoPHostPolicy? hostPolicy, DPoPMetrics? metrics = null)
    {
        Metrics = metrics;
        Validator = new DPoPProofValidator(options);
        TokenCache = options.CacheValidatedTokens ? new ValidatedTokenCache(options) : null;
        HostPolicy = hostPolicy;

        var parameters = SharedTokenValidationParameters.CopyOf(options.TokenValidationParameters, options.TokenHandler);
        if (!string.IsNullOrEmpty(options.Audience) && string.IsNullOrEmpty(parameters.ValidAudience) &&
            (parameters.ValidAudiences is null || !parameters.ValidAudiences.Any()))
        {
            parameters.ValidAudience = options.Audience;
        }

        parameters.AuthenticationType ??= scheme;

        if (options.MapInboundClaims)
        {
            // Mapped claims carry the legacy names: the JWT names would find nothing.
            if (parameters.NameClaimType == DPoPDefaults.NameClaimType)
            {
                parameters.NameClaimType = System.Security.Claims.ClaimsIdentity.DefaultNameClaimType;
            }

            if (parameters.RoleClaimType == DPoPDefaults.RoleClaimType)
            {
                parameters.RoleClaimType = System.Security.Claims.ClaimsIdentity.DefaultRoleClaimType;
            }
        }
        else if (parameters.NameClaimTypeRetriever is null && parameters.NameClaimType == DPoPDefaults.NameClaimType)
        {
            // User.Identity.Name: the token's name, else its sub (agents' tokens rarely carry a name).
            parameters.NameClaimTypeRetriever = static (token, _) =>
                token is Microsoft.IdentityModel.JsonWebTokens.JsonWebToken jwt && !jwt.TryGetPayloadValue(DPoPDefaults.NameClaimType, out string? _) ? "sub" : DPoPDefaults.NameClaimType;
        }

        // Token lifetimes are judged by the same clock as proofs: the scheme's TimeProvider, not DateTime.UtcNow.
        parameters.LifetimeValidator ??= TokenLifetime.Validator(options);
        if (options.TokenClockSkew is { } skew)
        {
            parameters.ClockSkew = skew;
        }

        // Let the token handler fetch keys and issuer from metadata itself: it refreshes on an unknown key and, with
        // UseLastKnownGoodConfiguration, keeps the last known good configuration while the issuer is unreachable.
        if (options.ConfigurationManager is BaseConfigurationManager manager && parameters.ConfigurationManager is null)
        {
            parameters.ConfigurationManager = manager;
        }

        // AllowTokensWithoutAudience: a token with no aud passes, one with an aud is judged by the usual audience check
        // (run on a copy without this validator, so the configured audiences and their rules stay the library's).
        if (options.AllowTokensWithoutAudience && parameters.ValidateAudience && parameters.AudienceValidator is null)
        {
            var strict = SharedTokenValidationParameters.Copy(parameters);
            parameters.AudienceValidator = (audiences, token, _) =>
            {
                if (audiences is not null && audiences.Any())
                {
                    Validators.ValidateAudience(audiences, token, strict); // throws SecurityTokenInvalidAudienceException
                }
                else if (token is JsonWebToken jwt && HasNonEmptyAudArray(jwt))
                {
                    // [null] and the like: an aud with members none of which is an audience is malformed, not absent.
                    throw new SecurityTokenInvalidAudienceException("The token's aud has no audience string in it.");
                }

                return true;
            };
        }

        // A SigningKeys secret vouches for its own Issuer only: without this, whoever holds one issuer's secret could
        // mint tokens saying any accepted iss (every secret is tried, ARCP tokens have no kid). A token with an iss must
        // be verified by a key of that iss (an entry without Issuer vouches for none). A token without iss claims no
        // issuer: ValidateIssuer refuses it while on; with it off the deployment chose not to judge issuers, and any
        // configured secret may verify it (real ARCP shared-secret tokens have no iss). Keys the application set itself
        // are not judged here.
        if (options.ConfiguredSigningKeys.Count > 0)
        {
            var issuerOf = new Dictionary<SecurityKey, string?>(ReferenceEqualityComparer.Instance);
            foreach (var configured in options.ConfiguredSigningKeys)
            {
                issuerOf[configured.Key] = configured.Issuer;
            }

            bool Vouches(SecurityKey? key, SecurityToken? token) =>
                key is null || !issuerOf.TryGetValue(key, out string? keyIssuer) || string.IsNullOrEmpty(token?.Issuer) ||
                string.Equals(token.Issuer, keyIssuer, StringComparison.Ordinal);

            var inner = parameters.IssuerSigningKeyValidator;
            parameters.IssuerSigningKeyValidator = (key, token, validationParameters) =>
                Vouches(key, token) && (inner?.Invoke(key, token, validationParameters) ?? true);

            // Microsoft.IdentityModel calls this one instead of the one above when the application set it: judge there too.
            if (parameters.IssuerSigningKeyValidatorUsingConfiguration is { } innerWithConfiguration)
            {
                parameters.IssuerSigningKeyValidatorUsingConfiguration = (key, token, validationParameters, configuration) =>
                    Vouches(key, token) && innerWithConfiguration(key, token, validationParameters, configuration);
            }
        }

        _parameters = parameters;
    }

    // Microsoft.IdentityModel drops non-string members from Audiences, so the payload itself says whether aud was there.
    private static bool HasNonEmptyAudArray(JsonWebToken jwt)
    {
        try
        {
            using var payload = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.EncodedPayload));
            return payload.RootElement.ValueKind == JsonValueKind.Object &&
                payload.RootElement.TryGetProperty("aud", out var aud) &&
                aud.ValueKind == JsonValueKind.Array && aud.GetArrayLength() > 0;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return true; // not readable: not known to be absent
        }
    }

    public DPoPProofValidator Validator { get; }

    /// <summary>The meter's instruments, resolved once for the scheme rather than on every request.</summary>
    public DPoPMetrics? Metrics { get; }

    public ValidatedTokenCache? TokenCache { get; }

    /// <summary>Whether another DPoP scheme may authenticate the same request (see <see cref="DPoPSchemeRegistry"/>).</summary>
    public bool MayShareRequests { get; init; } = true;

    /// <summary>Which request hosts the expected htu may be built from; null when the options allow none (startup refuses them).</summary>
    public DPoPHostPolicy? HostPolicy { get; }

    /// <summary>The issuer keys configured directly, for the validated-token cache.</summary>
    public object? ConfiguredKeys => (object?)_parameters.IssuerSigningKey ?? _parameters.IssuerSigningKeys;

    /// <summary>
    /// The parameters for one validation. With a configuration manager, Microsoft.IdentityModel writes
    /// <c>RefreshBeforeValidation</c> and <c>ValidateWithLKG</c> on the parameters after a failure it can recover from,
    /// so each validation gets its own copy; without one it only reads them, and the prepared instance is shared.
    /// </summary>
    public TokenValidationParameters TokenValidationParameters() =>
        _parameters.ConfigurationManager is null ? _parameters : SharedTokenValidationParameters.Copy(_parameters);
}
