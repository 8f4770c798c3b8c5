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
    public async Task Protected_operations_declare_their_401_and_403_problem_documents_and_open_ones_do_not()
    {
        await using var factory = new DevelopmentSample();
        using var client = factory.CreateClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;

        foreach (var (path, method) in new[] { ("/agents/register", "post"), ("/agents/me", "get"), ("/agents", "get") })
        {
            var responses = root.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");
            foreach (string status in new[] { "401", "403" })
            {
                var problem = responses.GetProperty(status).GetProperty("content").GetProperty("application/problem+json");
                Assert.Equal("#/components/schemas/DPoPProblemDetails", problem.GetProperty("schema").GetProperty("$ref").GetString());
            }

            Assert.True(responses.GetProperty("401").GetProperty("headers").TryGetProperty("WWW-Authenticate", out _));
            Assert.True(responses.GetProperty("200").TryGetProperty("description", out _)); // the operation's own answers stay
        }

        // RFC 9457 §3.1: the members of a problem document.
        var schema = root.GetProperty("components").GetProperty("schemas").GetProperty("DPoPProblemDetails");
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(
            ["detail", "instance", "status", "title", "type"],
            schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));

        var home = root.GetProperty("paths").GetProperty("/").GetProperty("get").GetProperty("responses");
        Assert.False(home.TryGetProperty("401", out _));
        Assert.False(home.TryGetProperty("403", out _));
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
