using System.Security.Claims;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// The settings an ARCP deployment needs, bound from configuration alone: shared secrets (SigningKeys, as JwtBearer
/// binds those of dotnet user-jwts), the issuer and audience switches, claim types, and the Bearer-with-proof rule.
/// </summary>
public sealed class ArcpConfigurationBindingTests
{
    private const string Prefix = "Authentication:Schemes:DPoP:";

    private static DPoPOptions Options(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        // Development: these tests are about tokens, not about where the htu's origin comes from.
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        services.AddAuthentication().AddDPoP();
        return services.BuildServiceProvider().GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
    }

    [Fact]
    public async Task Shared_secret_mode_validates_HS256_tokens_without_iss_or_kid()
    {
        byte[] secret = "an ARCP JWT_SECRET of at least 32 bytes"u8.ToArray();
        var options = Options(new()
        {
            [Prefix + "SigningKeys:0:Issuer"] = "arcp",
            [Prefix + "SigningKeys:0:Value"] = Convert.ToBase64String(secret),
            [Prefix + "SigningKeys:0:Length"] = secret.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [Prefix + "ValidateIssuer"] = "false",
            [Prefix + "ValidateAudience"] = "false",
        });

        var parameters = options.TokenValidationParameters;
        Assert.False(parameters.ValidateIssuer);
        Assert.False(parameters.ValidateAudience);
        Assert.True(parameters.ValidateLifetime);
        Assert.Equal(["arcp"], parameters.ValidIssuers);
        var key = Assert.IsType<SymmetricSecurityKey>(Assert.Single(parameters.IssuerSigningKeys));
        Assert.Equal(secret, key.Key);

        // An ARCP shared-secret token: {alg: HS256, typ: JWT}, no kid, no iss, no aud.
        string token = new JsonWebTokenHandler().CreateToken(
            $$"""{"sub":"user-1","agent_id":"agent-1","scopes":["agents:register"],"role":"agent","exp":{{DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds()}},"token_type":"access"}""",
            new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256));
        var result = await options.TokenHandler.ValidateTokenAsync(token, new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null).TokenValidationParameters());
        Assert.True(result.IsValid, result.Exception?.Message);

        // User.Identity.Name falls back to sub; roles come from role.
        var principal = new ClaimsPrincipal(result.ClaimsIdentity);
        Assert.Equal("user-1", principal.Identity?.Name);
        Assert.True(principal.IsInRole("agent"));
    }

    [Fact]
    public void Issuer_and_audience_checks_stay_on_by_default_and_claim_types_are_name_and_role()
    {
        var options = Options(new() { [Prefix + "Authority"] = "https://issuer.example", [Prefix + "Audience"] = "api" });
        Assert.True(options.TokenValidationParameters.ValidateIssuer);
        Assert.True(options.TokenValidationParameters.ValidateAudience);
        Assert.Equal("name", options.TokenValidationParameters.NameClaimType);
        Assert.Equal("role", options.TokenValidationParameters.RoleClaimType);
        Assert.True(options.AllowBearerWithProof);
    }

    [Fact]
    public void Claim_types_and_the_Bearer_rule_bind_from_configuration()
    {
        var options = Options(new()
        {
            [Prefix + "Authority"] = "https://issuer.example",
            [Prefix + "Audience"] = "api",
            [Prefix + "NameClaimType"] = "agent_id",
            [Prefix + "RoleClaimType"] = "roles",
            [Prefix + "AllowBearerWithProof"] = "false",
        });
        Assert.Equal("agent_id", options.TokenValidationParameters.NameClaimType);
        Assert.Null(options.TokenValidationParameters.NameClaimTypeRetriever); // a configured name claim is used alone
        Assert.Equal("roles", options.TokenValidationParameters.RoleClaimType);
        Assert.False(options.AllowBearerWithProof);
    }

    [Theory]
    [InlineData("not base64!", null, "SigningKeys:0:Value")]
    [InlineData("", null, "SigningKeys:0:Value is missing")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "64", "Length is 64, but Value decodes to 32 bytes")]
    public void A_bad_signing_key_is_a_startup_error_that_names_the_key_but_not_the_secret(string value, string? length, string expected)
    {
        var settings = new Dictionary<string, string?> { [Prefix + "SigningKeys:0:Value"] = value, [Prefix + "ValidateIssuer"] = "false", [Prefix + "Audience"] = "a" };
        if (length is not null)
        {
            settings[Prefix + "SigningKeys:0:Length"] = length;
        }

        var ex = Assert.Throws<InvalidOperationException>(() => Options(settings));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        if (value.Length > 0)
        {
            Assert.DoesNotContain(value, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Shared_secrets_for_tokens_never_make_symmetric_proofs_acceptable()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Options(new()
        {
            [Prefix + "SigningKeys:0:Value"] = Convert.ToBase64String(new byte[32]),
            [Prefix + "ValidateIssuer"] = "false",
            [Prefix + "ValidateAudience"] = "false",
            [Prefix + "AllowedAlgorithms"] = "ES256 HS256",
        }));
        Assert.Contains("symmetric algorithms cannot prove possession of a public key", ex.Message, StringComparison.Ordinal);
    }
}
