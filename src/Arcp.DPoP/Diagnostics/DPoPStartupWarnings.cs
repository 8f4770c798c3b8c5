using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// At startup, logs a warning for each access-token check a DPoP scheme has switched off (for example
/// <c>ValidateIssuer = false</c> for ARCP's shared-secret tokens), so a relaxed configuration is never silent.
/// </summary>
internal sealed class DPoPStartupWarnings : IHostedService
{
    private readonly IAuthenticationSchemeProvider _schemes;
    private readonly IOptionsMonitor<DPoPOptions> _options;
    private readonly ILogger _logger;

    public DPoPStartupWarnings(IAuthenticationSchemeProvider schemes, IOptionsMonitor<DPoPOptions> options, ILogger<DPoPHandler> logger)
    {
        _schemes = schemes;
        _options = options;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var scheme in await _schemes.GetAllSchemesAsync().ConfigureAwait(false))
        {
            if (typeof(DPoPHandler).IsAssignableFrom(scheme.HandlerType))
            {
                Warn(scheme.Name, _options.Get(scheme.Name));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Warn(string scheme, DPoPOptions options)
    {
        var parameters = options.TokenValidationParameters;
        bool hasIssuer = options.ConfigurationManager is not null || parameters.ConfigurationManager is not null ||
            !string.IsNullOrEmpty(parameters.ValidIssuer) || (parameters.ValidIssuers?.Any() ?? false) || parameters.IssuerValidator is not null;
        if (parameters.ValidateIssuer && !hasIssuer)
        {
            DPoPLog.NoIssuerToValidate(_logger, scheme);
        }

        if (!parameters.ValidateIssuer)
        {
            DPoPLog.TokenCheckDisabled(_logger, scheme, "ValidateIssuer",
                "tokens from any issuer whose signature verifies are accepted; keep it on unless the issuer's tokens carry no iss (ARCP's shared-secret mode).");
        }

        if (!parameters.ValidateAudience)
        {
            DPoPLog.TokenCheckDisabled(_logger, scheme, "ValidateAudience",
                "tokens the issuer made for any other API, or for no API, are accepted here; keep it on unless the issuer's tokens carry no aud (ARCP's post-registration tokens).");
        }

        if (!parameters.ValidateLifetime)
        {
            DPoPLog.TokenCheckDisabled(_logger, scheme, "ValidateLifetime", "expired access tokens are accepted.");
        }

        if (!parameters.RequireSignedTokens)
        {
            DPoPLog.TokenCheckDisabled(_logger, scheme, "RequireSignedTokens", "unsigned access tokens are accepted.");
        }

        if (!parameters.RequireExpirationTime)
        {
            DPoPLog.TokenCheckDisabled(_logger, scheme, "RequireExpirationTime", "access tokens that never expire are accepted.");
        }
    }
}
