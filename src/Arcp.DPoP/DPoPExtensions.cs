using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Arcp.DPoP;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the DPoP authentication scheme.
/// </summary>
public static class DPoPExtensions
{
    /// <summary>Adds the DPoP scheme under the name <see cref="DPoPDefaults.AuthenticationScheme"/>, configured from <c>Authentication:Schemes:DPoP</c>.</summary>
    /// <param name="builder">The authentication builder.</param>
    public static AuthenticationBuilder AddDPoP(this AuthenticationBuilder builder)
        => builder.AddDPoP(DPoPDefaults.AuthenticationScheme, _ => { });

    /// <summary>Adds the DPoP scheme under the name <see cref="DPoPDefaults.AuthenticationScheme"/>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="configureOptions">Configures the options, after configuration binding.</param>
    public static AuthenticationBuilder AddDPoP(this AuthenticationBuilder builder, Action<DPoPOptions> configureOptions)
        => builder.AddDPoP(DPoPDefaults.AuthenticationScheme, configureOptions);

    /// <summary>Adds the DPoP scheme under <paramref name="authenticationScheme"/>, configured from <c>Authentication:Schemes:{authenticationScheme}</c>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="authenticationScheme">The scheme name.</param>
    /// <param name="configureOptions">Configures the options, after configuration binding.</param>
    public static AuthenticationBuilder AddDPoP(this AuthenticationBuilder builder, string authenticationScheme, Action<DPoPOptions> configureOptions)
        => builder.AddDPoP(authenticationScheme, displayName: DPoPDefaults.DisplayName, configureOptions: configureOptions);

    /// <summary>Adds the DPoP scheme under <paramref name="authenticationScheme"/>, configured from <c>Authentication:Schemes:{authenticationScheme}</c>.</summary>
    /// <param name="builder">The authentication builder.</param>
    /// <param name="authenticationScheme">The scheme name.</param>
    /// <param name="displayName">The scheme's display name.</param>
    /// <param name="configureOptions">Configures the options, after configuration binding.</param>
    public static AuthenticationBuilder AddDPoP(this AuthenticationBuilder builder, string authenticationScheme, string? displayName, Action<DPoPOptions> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(authenticationScheme);
        ArgumentNullException.ThrowIfNull(configureOptions);

        var services = builder.Services;
        services.AddMetrics();
        services.TryAddSingleton<DPoPMetrics>();
        services.TryAddSingleton<DPoPSchemeStates>();
        DPoPSchemeRegistry.In(services).Add(authenticationScheme);
        services.TryAddSingleton<ProtectedResourceMetadataEndpoint>();
        services.TryAddSingleton<IDPoPTokenRequestValidator, DPoPTokenRequestValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDPoPReplayCache>(sp => new InMemoryDPoPReplayCache(sp.GetRequiredService<TimeProvider>()));
        services.AddDataProtection();
        services.TryAddSingleton<IDPoPNonceService, DataProtectionDPoPNonceService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<DPoPOptions>, DPoPConfigureOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DPoPOptions>, DPoPOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, DPoPStartupWarnings>());

        builder.AddScheme<DPoPOptions, DPoPHandler>(authenticationScheme, displayName, configureOptions);

        // After AddScheme, so the framework has already set options.TimeProvider when the validator is built.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<DPoPOptions>, DPoPPostConfigureOptions>());
        services.AddOptions<DPoPOptions>(authenticationScheme).ValidateOnStart();
        return builder;
    }
}
