using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// The try-it page's server side (MapDPoPTryIt): served in Development only, locked to its own origin by its
/// Content-Security-Policy, told where the token endpoint is by config.json. The page itself runs in a real browser in
/// tests/Arcp.DPoP.BrowserTests.
/// </summary>
public sealed class TryItPageServerTests
{
    [Fact]
    public async Task In_Development_the_sample_serves_the_page_its_script_and_its_configuration_on_its_own_origin_only()
    {
        await using var factory = new SampleApiFactory(); // Development, with the development issuer
        using var client = factory.CreateClient(new() { AllowAutoRedirect = false });

        using var redirect = await client.GetAsync("/try-it");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/try-it/", redirect.Headers.Location?.OriginalString);

        using var page = await client.GetAsync("/try-it/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        string policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("connect-src 'self'", policy, StringComparison.Ordinal); // the token and proofs go nowhere else
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);  // only the page's own script runs
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("no-store", page.Headers.CacheControl?.ToString());
        Assert.Contains("src=\"try-it.js\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var script = await client.GetAsync("/try-it/try-it.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("crypto.subtle.generateKey(spec.generate, false", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var configuration = JsonDocument.Parse(await client.GetStringAsync("/try-it/config.json"));
        Assert.Equal("/dev-issuer/token", configuration.RootElement.GetProperty("tokenEndpoint").GetString());
        Assert.Equal("/openapi/v1.json", configuration.RootElement.GetProperty("openApiDocument").GetString());

        // The page is not part of the API it explores.
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        Assert.DoesNotContain(document.RootElement.GetProperty("paths").EnumerateObject(), p => p.Name.StartsWith("/try-it", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_MapDPoPTryIt_maps_nothing(string environment)
    {
        await using var app = CreateApp(environment);
        app.MapDPoPTryIt(tokenEndpoint: "/token");
        await app.StartAsync();
        using var client = app.GetTestClient();
        foreach (string path in new[] { "/try-it", "/try-it/", "/try-it/try-it.js", "/try-it/config.json" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_sample_in_production_serves_no_page()
    {
        await using var factory = new SampleApiFactory { Environment = "Production" };
        factory.Settings["Authentication:Schemes:DPoP:SigningKeys:0:Issuer"] = "https://issuer.test";
        factory.Settings["Authentication:Schemes:DPoP:SigningKeys:0:Value"] = Convert.ToBase64String(new byte[32]);
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/try-it/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("https://issuer.example/token")]
    [InlineData("//issuer.example/token")]
    [InlineData("/\\issuer.example/token")]
    [InlineData("token")]
    [InlineData("/token?x=1")]
    public async Task The_token_endpoint_must_be_a_path_on_the_app_itself(string tokenEndpoint)
    {
        await using var app = CreateApp("Development");
        Assert.Throws<ArgumentException>(() => app.MapDPoPTryIt(tokenEndpoint));
    }

    [Fact]
    public async Task The_paths_it_names_follow_the_apps_path_base()
    {
        await using var app = CreateApp("Development");
        app.UsePathBase("/api");
        app.UseRouting();
        app.MapDPoPTryIt("/connect/token", pattern: "/explore", openApiDocument: "/swagger/v1/swagger.json");
        await app.StartAsync();
        using var client = app.GetTestClient();
        using var configuration = JsonDocument.Parse(await client.GetStringAsync("/api/explore/config.json"));
        Assert.Equal("/api/connect/token", configuration.RootElement.GetProperty("tokenEndpoint").GetString());
        Assert.Equal("/api/swagger/v1/swagger.json", configuration.RootElement.GetProperty("openApiDocument").GetString());
    }

    private static WebApplication CreateApp(string environment)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Services.AddRouting();
        return builder.Build();
    }
}
