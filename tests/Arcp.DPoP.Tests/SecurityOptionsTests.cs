using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// The options issue 11 added: they bind from configuration, reach the objects they govern (the metadata manager, the
/// handler's copy of the token validation parameters), and bad values stop the application with the setting's name.
/// </summary>
public sealed class SecurityOptionsTests
{
    private static DPoPOptions Options(Dictionary<string, string?> settings, Action<DPoPOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Production" });
        services.AddAuthentication().AddDPoP(configure ?? (_ => { }));
        return services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
    }

    private static DPoPSchemeState State(DPoPOptions options) =>
        new DPoPSchemeStates(new ServiceCollection().BuildServiceProvider()).Get(DPoPDefaults.AuthenticationScheme, options);

    [Fact]
    public void The_security_options_bind_from_configuration_and_reach_what_they_govern()
    {
        var options = Options(new()
        {
            ["Authentication:Schemes:DPoP:Authority"] = "https://issuer.example",
            ["Authentication:Schemes:DPoP:Audience"] = "arcp-api",
            ["Authentication:Schemes:DPoP:PublicOrigin"] = "https://api.example.com",
            ["Authentication:Schemes:DPoP:MaxRsaKeySize"] = "3072",
            ["Authentication:Schemes:DPoP:TokenClockSkew"] = "30",
            ["Authentication:Schemes:DPoP:UseLastKnownGoodConfiguration"] = "false",
            ["Authentication:Schemes:DPoP:LastKnownGoodLifetime"] = "00:10:00",
        });

        Assert.Equal(3072, options.MaxRsaKeySize);
        Assert.Equal(TimeSpan.FromSeconds(30), options.TokenClockSkew);
        Assert.False(options.UseLastKnownGoodConfiguration);
        var manager = Assert.IsType<ConfigurationManager<OpenIdConnectConfiguration>>(options.ConfigurationManager);
        Assert.False(manager.UseLastKnownGoodConfiguration);
        Assert.Equal(TimeSpan.FromMinutes(10), manager.LastKnownGoodLifetime);

        var state = State(options);
        var parameters = state.TokenValidationParameters();
        Assert.NotSame(parameters, state.TokenValidationParameters()); // Microsoft.IdentityModel writes on them: one copy per validation
        Assert.Equal(TimeSpan.FromSeconds(30), parameters.ClockSkew);
        Assert.Same(manager, parameters.ConfigurationManager);
        Assert.Equal(TimeSpan.FromMinutes(5), options.TokenValidationParameters.ClockSkew); // the application's own are left alone
    }

    [Fact]
    public void By_default_tokens_get_five_minutes_of_skew_and_the_last_known_good_configuration_an_hour()
    {
        var options = Options(new() { ["Authentication:Schemes:DPoP:Authority"] = "https://issuer.example", ["Authentication:Schemes:DPoP:Audience"] = "a", ["Authentication:Schemes:DPoP:TrustHostHeader"] = "true" });
        Assert.Null(options.TokenClockSkew);
        Assert.Equal(TimeSpan.FromMinutes(5), State(options).TokenValidationParameters().ClockSkew);
        Assert.True(options.UseLastKnownGoodConfiguration);
        Assert.Equal(TimeSpan.FromHours(1), options.LastKnownGoodLifetime);
        Assert.Equal(4096, options.MaxRsaKeySize);
    }

    [Theory]
    [InlineData("MaxRsaKeySize", "16384", "MaxRsaKeySize is 16384")]
    [InlineData("MaxRsaKeySize", "1024", "MaxRsaKeySize is 1024")]
    [InlineData("TokenClockSkew", "3600", "TokenClockSkew is 01:00:00")]
    public void Out_of_range_values_stop_the_application_with_the_settings_name(string key, string value, string message)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Options(new()
        {
            ["Authentication:Schemes:DPoP:Audience"] = "a",
            ["Authentication:Schemes:DPoP:PublicOrigin"] = "https://api.example.com",
            ["Authentication:Schemes:DPoP:" + key] = value,
        }, o => o.TokenValidationParameters.IssuerSigningKey = new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create())));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_Development_a_scheme_without_an_origin_setting_is_refused_with_the_settings_named()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Options(new() { ["Authentication:Schemes:DPoP:Audience"] = "a" },
            o => o.TokenValidationParameters.IssuerSigningKey = new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create())));
        Assert.Contains("Authentication:Schemes:DPoP:PublicOrigin", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowedHosts", error.Message, StringComparison.Ordinal);
        Assert.Contains("TrustHostHeader", error.Message, StringComparison.Ordinal);
    }
}
