using System.Net;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// The sample's development token issuer (POST /dev/token) runs only in Development and only when no issuer is
/// configured (Authority, MetadataAddress or SigningKeys): never in Production, never beside a real issuer.
/// </summary>
public sealed class DevelopmentIssuerTests
{
    private const string P = "Authentication:Schemes:DPoP:";

    [Fact]
    public async Task In_Production_without_an_issuer_the_sample_refuses_to_start()
    {
        await using var factory = new SampleApiFactory { Environment = "Production" };
        var ex = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        // The startup validation failure, however the host wraps it.
        static IEnumerable<Exception> All(Exception e) =>
            new[] { e }.Concat(e is AggregateException a ? a.InnerExceptions.SelectMany(All) : e.InnerException is { } inner ? All(inner) : []);
        Assert.True(All(ex).OfType<OptionsValidationException>().Any(v => v.Message.Contains("Set Authority (or MetadataAddress)", StringComparison.Ordinal)), ex.ToString());
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_the_development_issuer_is_never_mapped(string environment)
    {
        await using var factory = new SampleApiFactory { Environment = environment };
        factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(new byte[32]);
        factory.Settings[P + "ValidIssuer"] = "https://issuer.test";
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/dev/token", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(factory.Services.GetService(typeof(Arcp.DPoP.SampleApi.DevelopmentTokenIssuer)));
    }

    [Theory]
    [InlineData("Authority", "https://issuer.test")]
    [InlineData("MetadataAddress", "https://issuer.test/.well-known/arcp-configuration")]
    [InlineData("SigningKeys:0:Value", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public async Task In_Development_a_configured_issuer_turns_the_development_issuer_off(string key, string value)
    {
        await using var factory = new SampleApiFactory(); // Development
        factory.Settings[P + key] = value;
        factory.Settings[P + "ValidIssuer"] = "https://issuer.test";
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/dev/token", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task In_Development_with_no_issuer_the_development_issuer_runs()
    {
        await using var factory = new SampleApiFactory();
        using var client = factory.CreateClient();
        using var key = Testing.TestKey.Create();
        Assert.False(string.IsNullOrEmpty(await factory.GetTokenAsync(client, key)));
    }
}
