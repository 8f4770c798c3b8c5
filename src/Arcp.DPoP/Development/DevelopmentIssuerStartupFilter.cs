using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

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
    private readonly IOptions<DPoPDevelopmentIssuerOptions> _options;

    public DevelopmentIssuerStartupFilter(IHostEnvironment environment, IOptions<DPoPDevelopmentIssuerOptions> options)
    {
        _environment = environment;
        _options = options;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        if (_environment.IsDevelopment())
        {
            // Without its DPoP scheme the issuer would have no validator, replay cache or options to follow.
            string scheme = _options.Value.AuthenticationScheme;
            var registered = app.ApplicationServices.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(scheme).GetAwaiter().GetResult();
            if (registered is null || !typeof(DPoPHandler).IsAssignableFrom(registered.HandlerType))
            {
                throw new InvalidOperationException(
                    $"AddDevelopmentIssuer(): there is no DPoP authentication scheme named '{scheme}'. Call AddDPoP() on the same AuthenticationBuilder first, or set DPoPDevelopmentIssuerOptions.AuthenticationScheme to your DPoP scheme's name.");
            }

            // Always in the pipeline in Development: it checks per request whether the scheme trusts the issuer, so
            // an options reload is followed. DevelopmentIssuerTrust logs whether it is on, and why not.
            app.UseMiddleware<DevelopmentIssuerMiddleware>();
        }

        next(app);
    };
}
