using Arcp.DPoP;
using Arcp.DPoP.Development;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the DPoP development issuer.</summary>
public static class DPoPDevelopmentIssuerExtensions
{
    /// <summary>
    /// DEVELOPMENT ONLY. Adds a development token issuer to the application and makes the DPoP scheme trust it, in the
    /// Development environment only: <c>POST /dev-issuer/token</c> issues <c>cnf.jkt</c>-bound access tokens for a
    /// valid DPoP proof (RFC 9449 §5), with metadata at <c>/dev-issuer/.well-known/openid-configuration</c> and the
    /// JWKS at <c>/dev-issuer/jwks</c>; its key is kept in <c>.arcp-dpop-dev/</c> under the content root. In any other
    /// environment it serves nothing and its tokens are not trusted; an issuer configured for the scheme (Authority,
    /// MetadataAddress, SigningKeys, IssuerSigningKey) always takes precedence.
    /// </summary>
    /// <param name="builder">The authentication builder, after <c>AddDPoP()</c>.</param>
    public static AuthenticationBuilder AddDevelopmentIssuer(this AuthenticationBuilder builder)
        => builder.AddDevelopmentIssuer(_ => { });

    /// <summary>
    /// DEVELOPMENT ONLY. Adds a development token issuer and makes the DPoP scheme trust it, in the Development
    /// environment only; see <see cref="AddDevelopmentIssuer(AuthenticationBuilder)"/>.
    /// </summary>
    /// <param name="builder">The authentication builder, after <c>AddDPoP()</c>.</param>
    /// <param name="configureOptions">Configures the issuer (path, key file, token lifetime, scopes and roles).</param>
    public static AuthenticationBuilder AddDevelopmentIssuer(this AuthenticationBuilder builder, Action<DPoPDevelopmentIssuerOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configureOptions);

        var services = builder.Services;
        services.Configure(configureOptions);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DPoPDevelopmentIssuer>();
        services.TryAddSingleton<DevelopmentIssuerTrust>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<DPoPOptions>, DevelopmentIssuerTrust>(sp => sp.GetRequiredService<DevelopmentIssuerTrust>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, DevelopmentIssuerStartupFilter>());
        return builder;
    }
}
