using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

public class DPoPOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<DPoPOptions>? configure = null, string scheme = "DPoP")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        services.AddAuthentication().AddDPoP(scheme, configure ?? (_ => { }));
        return services.BuildServiceProvider();
    }

    private static DPoPOptions Options(Dictionary<string, string?> settings, Action<DPoPOptions>? configure = null, string scheme = "DPoP") =>
        Build(settings, configure, scheme).GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(scheme);

    private static DPoPSchemeState State(DPoPOptions options) =>
        new DPoPSchemeStates(new ServiceCollection().BuildServiceProvider()).Get("DPoP", options);

    [Fact]
    public void Binds_from_Authentication_Schemes_DPoP_like_JwtBearer()
    {
        var options = Options(new()
        {
            ["Authentication:Schemes:DPoP:Authority"] = "https://issuer.example",
            ["Authentication:Schemes:DPoP:Audience"] = "arcp-api",
            ["Authentication:Schemes:DPoP:ValidIssuers:0"] = "https://issuer.example",
            ["Authentication:Schemes:DPoP:ValidIssuers:1"] = "https://issuer2.example",
            ["Authentication:Schemes:DPoP:ValidAudiences:0"] = "other-api",
            ["Authentication:Schemes:DPoP:Mode"] = "allowed",
            ["Authentication:Schemes:DPoP:ProofLifetime"] = "30",
            ["Authentication:Schemes:DPoP:ClockSkew"] = "00:00:02",
            ["Authentication:Schemes:DPoP:AllowedAlgorithms"] = "ES256 PS256",
            ["Authentication:Schemes:DPoP:MaxProofLength"] = "4096",
            ["Authentication:Schemes:DPoP:PublicOrigin"] = "https://API.example.com:443/",
            ["Authentication:Schemes:DPoP:RequireHttpsMetadata"] = "true",
            ["Authentication:Schemes:DPoP:SaveToken"] = "true",
        });

        Assert.Equal("https://issuer.example", options.Authority);
        Assert.Equal("https://issuer.example/.well-known/openid-configuration", options.MetadataAddress);
        Assert.NotNull(options.ConfigurationManager);
        Assert.Same(options.ConfigurationManager, State(options).TokenValidationParameters().ConfigurationManager);
        Assert.Equal("arcp-api", options.Audience);
        Assert.Equal(["https://issuer.example", "https://issuer2.example"], options.TokenValidationParameters.ValidIssuers);
        Assert.Equal(["other-api"], options.TokenValidationParameters.ValidAudiences);
        Assert.Equal(DPoPMode.Allowed, options.Mode);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ProofLifetime);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ClockSkew);
        Assert.Equal(["ES256", "PS256"], options.AllowedAlgorithms);
        Assert.Equal(4096, options.MaxProofLength);
        Assert.Equal("https://api.example.com", State(options).Validator.PublicOrigin);
        Assert.True(options.SaveToken);
        Assert.Equal("ES256 PS256", State(options).Validator.AllowedAlgorithms);
    }

    [Fact]
    public void Binds_a_named_scheme_from_its_own_section()
    {
        var options = Options(new()
        {
            ["Authentication:Schemes:Agents:Authority"] = "https://agents-issuer.example",
            ["Authentication:Schemes:Agents:Audience"] = "agents",
            ["Authentication:Schemes:Agents:AllowedAlgorithms:0"] = "ES384",
        }, scheme: "Agents");
        Assert.Equal("https://agents-issuer.example", options.Authority);
        Assert.Equal(["ES384"], options.AllowedAlgorithms);
        Assert.Equal("agents", options.Audience);
        Assert.Equal("agents", State(options).TokenValidationParameters().ValidAudience); // the handler's copy; the options' own are left alone
    }

    [Fact]
    public void Code_configuration_runs_after_binding()
    {
        var options = Options(new() { ["Authentication:Schemes:DPoP:Audience"] = "from-config" }, o =>
        {
            o.Audience = "from-code";
            o.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(new byte[32]);
        });
        Assert.Equal("from-code", options.Audience);
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    [InlineData("EdDSA ES256")]
    public void Ed25519_algorithms_can_be_configured(string algorithms)
    {
        var options = Options(new()
        {
            ["Authentication:Schemes:DPoP:Authority"] = "https://issuer.example",
            ["Authentication:Schemes:DPoP:Audience"] = "arcp-api",
            ["Authentication:Schemes:DPoP:AllowedAlgorithms"] = algorithms,
        });
        Assert.Equal(algorithms.Split(' '), options.AllowedAlgorithms);
        Assert.Equal(algorithms, State(options).Validator.AllowedAlgorithms);
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new DPoPOptions();
        Assert.Equal(DPoPMode.Required, options.Mode);
        Assert.Equal(TimeSpan.FromSeconds(60), options.ProofLifetime);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ClockSkew);
        Assert.Equal(8192, options.MaxProofLength);
        Assert.Equal(["EdDSA", "Ed25519", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"], options.AllowedAlgorithms);
        Assert.True(options.RequireHttpsMetadata);
        Assert.Equal(["at+jwt", "application/at+jwt", "JWT"], options.TokenValidationParameters.ValidTypes);
    }

    [Theory]
    [InlineData("ProofLifetime", "soon", "a number of seconds or hh:mm:ss")]
    [InlineData("Mode", "Sometimes", "Required or Allowed")]
    [InlineData("MaxProofLength", "big", "a whole number")]
    [InlineData("RequireHttpsMetadata", "yes", "true or false")]
    public void Unreadable_configuration_names_the_key_and_value(string key, string value, string expected)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Options(new()
        {
            ["Authentication:Schemes:DPoP:Audience"] = "a",
            [$"Authentication:Schemes:DPoP:{key}"] = value,
        }));
        Assert.Contains($"Authentication:Schemes:DPoP:{key}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Authority", "http://issuer.example", "must use https")]
    [InlineData("Authority", "not a uri", "not an absolute http(s) URI")]
    [InlineData("AllowedAlgorithms", "none", "unsigned proofs prove nothing")]
    [InlineData("AllowedAlgorithms", "HS256", "symmetric algorithms")]
    [InlineData("AllowedAlgorithms", "Ed448", "only Ed25519 is supported")]
    [InlineData("AllowedAlgorithms", "ES256K", "not an asymmetric JWS algorithm this platform verifies")]
    [InlineData("ProofLifetime", "0", "ProofLifetime")]
    [InlineData("ProofLifetime", "3600", "ProofLifetime")]
    [InlineData("ClockSkew", "-1", "ClockSkew")]
    [InlineData("MaxProofLength", "100", "MaxProofLength")]
    [InlineData("PublicOrigin", "api.example.com", "PublicOrigin")]
    [InlineData("PublicOrigin", "https://api.example.com/?q=1", "PublicOrigin")]
    public void Invalid_options_are_refused_with_the_setting_named(string key, string value, string expected)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Options(new()
        {
            ["Authentication:Schemes:DPoP:Authority"] = "https://issuer.example",
            ["Authentication:Schemes:DPoP:Audience"] = "arcp-api",
            [$"Authentication:Schemes:DPoP:{key}"] = value,
        }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("DPoP scheme 'DPoP'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_issuer_keys_and_no_audience_are_startup_errors()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Options(new()));
        Assert.Contains("no way to validate access tokens", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no audience is configured", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_startup()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Authentication:Schemes:DPoP:Authority"] = "http://insecure.example",
        });
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        builder.Services.AddAuthentication().AddDPoP();
        await using var app = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("must use https", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scheme_is_registered_under_its_name()
    {
        var provider = Build(new() { ["Authentication:Schemes:DPoP:Authority"] = "https://i.example", ["Authentication:Schemes:DPoP:Audience"] = "a" });
        var schemes = provider.GetRequiredService<IAuthenticationSchemeProvider>();
        var scheme = await schemes.GetSchemeAsync(DPoPDefaults.AuthenticationScheme);
        Assert.NotNull(scheme);
        Assert.Equal(typeof(DPoPHandler), scheme.HandlerType);
        Assert.IsType<InMemoryDPoPReplayCache>(provider.GetRequiredService<IDPoPReplayCache>());
    }
}
