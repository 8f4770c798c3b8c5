using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>The sample's OpenAPI document in Development declares DPoP where it is required, and only there.</summary>
public sealed class OpenApiTests
{
    private sealed class DevelopmentSample : SampleApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseEnvironment("Development");
        }
    }

    [Fact]
    public async Task The_document_declares_the_DPoP_scheme_and_header_on_protected_endpoints()
    {
        await using var factory = new DevelopmentSample();
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;

        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("DPoP");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("DPoP", scheme.GetProperty("scheme").GetString());

        var register = root.GetProperty("paths").GetProperty("/agents/register").GetProperty("post");
        Assert.True(register.GetProperty("security")[0].TryGetProperty("DPoP", out _));
        var header = register.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "DPoP");
        Assert.Equal("header", header.GetProperty("in").GetString());
        Assert.True(header.GetProperty("required").GetBoolean());

        var me = root.GetProperty("paths").GetProperty("/agents/me").GetProperty("get");
        Assert.True(me.TryGetProperty("security", out _));

        var home = root.GetProperty("paths").GetProperty("/").GetProperty("get");
        Assert.False(home.TryGetProperty("security", out _));
    }

    [Fact]
    public async Task The_document_is_not_served_in_production()
    {
        await using var factory = new SampleApiFactory { Environment = "Production" };
        factory.Settings["Authentication:Schemes:DPoP:SigningKeys:0:Issuer"] = "https://issuer.test";
        factory.Settings["Authentication:Schemes:DPoP:SigningKeys:0:Value"] = Convert.ToBase64String(new byte[32]);
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
