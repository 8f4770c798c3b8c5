using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Completes <see cref="DPoPOptions"/> after configuration: the audience, the metadata
/// <see cref="DPoPOptions.ConfigurationManager"/>, and the proof validator.
/// </summary>
internal sealed class DPoPPostConfigureOptions : IPostConfigureOptions<DPoPOptions>
{
    public void PostConfigure(string? name, DPoPOptions options)
    {
        var parameters = options.TokenValidationParameters;
        if (!string.IsNullOrEmpty(options.Audience) && string.IsNullOrEmpty(parameters.ValidAudience) &&
            (parameters.ValidAudiences is null || !parameters.ValidAudiences.Any()))
        {
            parameters.ValidAudience = options.Audience;
        }

        parameters.AuthenticationType ??= name;

        // Token lifetimes are judged by the same clock as proofs: the scheme's TimeProvider, not DateTime.UtcNow.
        parameters.LifetimeValidator ??= TokenLifetime.Validator(options);

        if (options.TokenHandler is JsonWebTokenHandler jsonWebTokenHandler)
        {
            jsonWebTokenHandler.MapInboundClaims = options.MapInboundClaims;
        }

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
                token is JsonWebToken jwt && !jwt.TryGetPayloadValue(DPoPDefaults.NameClaimType, out string? _) ? "sub" : DPoPDefaults.NameClaimType;
        }

        if (options.ConfigurationManager is null)
        {
            if (options.Configuration is not null)
            {
                IssuerSigningKeys.AddOkpKeys(options.Configuration);
                options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(options.Configuration);
            }
            else if (!string.IsNullOrEmpty(options.MetadataAddress) || !string.IsNullOrEmpty(options.Authority))
            {
                if (string.IsNullOrEmpty(options.MetadataAddress))
                {
                    options.MetadataAddress = options.Authority!.TrimEnd('/') + "/.well-known/openid-configuration";
                }

                if (options.Backchannel is null)
                {
#pragma warning disable CA2000 // The HttpClient owns the handler; both live as long as the options.
                    options.Backchannel = new HttpClient(options.BackchannelHttpHandler ?? new HttpClientHandler())
                    {
                        Timeout = options.BackchannelTimeout,
                        MaxResponseContentBufferSize = 1024 * 1024 * 10,
                    };
#pragma warning restore CA2000
                    options.Backchannel.DefaultRequestHeaders.UserAgent.ParseAdd("Arcp.DPoP");
                }

                options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                    options.MetadataAddress,
                    new IssuerMetadataRetriever(),
                    new HttpDocumentRetriever(options.Backchannel) { RequireHttps = options.RequireHttpsMetadata })
                {
                    RefreshInterval = options.RefreshInterval,
                    AutomaticRefreshInterval = options.AutomaticRefreshInterval,
                };
            }
        }

        // Let the token handler fetch keys and issuer from metadata itself: it refreshes on an unknown key
        // and keeps the last known good configuration when the issuer is briefly unreachable.
        if (options.ConfigurationManager is BaseConfigurationManager baseManager && parameters.ConfigurationManager is null)
        {
            parameters.ConfigurationManager = baseManager;
        }

        bool algorithmsSupported = options.AllowedAlgorithms.Count > 0;
        foreach (string algorithm in options.AllowedAlgorithms)
        {
            algorithmsSupported &= DPoPAlgorithm.Find(algorithm) is not null;
        }

        if (options.CacheValidatedTokens)
        {
            options.TokenCache = new ValidatedTokenCache(options);
        }

        if (algorithmsSupported)
        {
            options.ProofValidator = new DPoPProofValidator(options);
        }
    }
}
