using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Completes <see cref="DPoPOptions"/> after configuration: the metadata <see cref="DPoPOptions.ConfigurationManager"/>
/// and its backchannel, as JwtBearer does. It never changes the application's
/// <see cref="DPoPOptions.TokenValidationParameters"/>: the handler validates with a copy (see <see cref="DPoPSchemeState"/>).
/// </summary>
internal sealed class DPoPPostConfigureOptions : IPostConfigureOptions<DPoPOptions>
{
    public void PostConfigure(string? name, DPoPOptions options)
    {
        if (options.TokenHandler is JsonWebTokenHandler jsonWebTokenHandler)
        {
            jsonWebTokenHandler.MapInboundClaims = options.MapInboundClaims;
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
                    UseLastKnownGoodConfiguration = options.UseLastKnownGoodConfiguration,
                    LastKnownGoodLifetime = options.LastKnownGoodLifetime,
                };
            }
        }
    }
}
