using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.Development;

/// <summary>
/// Puts <see cref="DevelopmentIssuerMiddleware"/> at the start of the pipeline — in the Development environment only.
/// Anywhere else the pipeline is left as it is (nothing to reach, whatever a request says) and a warning is logged;
/// with no other issuer configured, the scheme's own startup validation then stops the application.
/// </summary>
/// <remarks>
/// A startup filter rather than a <c>Map...</c> call, so the one call <c>AddDevelopmentIssuer()</c> is the whole setup,
/// and the decision to serve is taken once, at startup, from the host environment.
/// </remarks>
internal sealed class DevelopmentIssuerStartupFilter : IStartupFilter
{
    private readonly IHostEnvironment _environment;
    private readonly IOptions<DPoPDevelopmentIssuerOptions> _options;
    private readonly IServiceProvider _services;

    public DevelopmentIssuerStartupFilter(IHostEnvironment environment, IOptions<DPoPDevelopmentIssuerOptions> options, IServiceProvider services)
    {
        _environment = environment;
        _options = options;
        _services = services;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var options = _options.Value;
        var logger = _services.GetRequiredService<ILogger<DPoPDevelopmentIssuer>>();
        string path = DPoPDevelopmentIssuer.NormalizePath(options.Path);
        if (!_environment.IsDevelopment())
        {
            DevelopmentIssuerLog.Off(logger, $"the environment is '{_environment.EnvironmentName}', not Development", path);
            next(app);
            return;
        }

        // Decides trust now (and validates the scheme's options), so the log says what happens.
        _services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(options.AuthenticationScheme);
        var trust = _services.GetRequiredService<DevelopmentIssuerTrust>();
        if (trust.IsTrusted)
        {
            DevelopmentIssuerLog.On(logger, options.AuthenticationScheme, path, _services.GetRequiredService<DPoPDevelopmentIssuer>().KeyPath);
        }
        else
        {
            DevelopmentIssuerLog.Off(logger, trust.OffReason ?? "the scheme does not trust it", path);
        }

        // Always in the pipeline in Development: it checks trust per request, so an options reload is followed.
        app.UseMiddleware<DevelopmentIssuerMiddleware>();
        next(app);
    };
}
