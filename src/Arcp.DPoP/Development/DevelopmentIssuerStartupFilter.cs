using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;

namespace Arcp.DPoP.Development;

/// <summary>
/// Puts <see cref="DevelopmentIssuerMiddleware"/> at the start of the pipeline — in the Development environment only.
/// Anywhere else the pipeline is left as it is: nothing to reach, whatever a request says.
/// </summary>
/// <remarks>
/// A startup filter rather than a <c>Map...</c> call, so the one call <c>AddDevelopmentIssuer()</c> is the whole setup,
/// and the decision to serve is taken once, at startup, from the host environment.
/// </remarks>
internal sealed class DevelopmentIssuerStartupFilter : IStartupFilter
{
    private readonly IHostEnvironment _environment;

    public DevelopmentIssuerStartupFilter(IHostEnvironment environment)
    {
        _environment = environment;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (_environment.IsDevelopment())
        {
            // Always in the pipeline in Development: it checks per request whether the scheme trusts the issuer, so
            // an options reload is followed. DevelopmentIssuerTrust logs whether it is on, and why not.
            app.UseMiddleware<DevelopmentIssuerMiddleware>();
        }

        next(app);
    };
}
