using System.Net;
using System.Text.Json;
using Arcp.DPoP.Development;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// The README's path for a new team: a fresh API with nothing but <c>AddDPoP().AddDevelopmentIssuer()</c> (no
/// audience, no issuer configured), and an agent using <c>Arcp.DPoP.Client</c> to get a DPoP-bound token from it and
/// call it — a 200, with only our packages.
/// </summary>
public sealed class DevelopmentIssuerQuickStartTests : IDisposable
{
    private readonly DirectoryInfo _contentRoot = Directory.CreateTempSubdirectory("arcp-dpop-quickstart-");

    public void Dispose() => _contentRoot.Delete(recursive: true);

    private async Task<WebApplication> StartApiAsync(string environment)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ContentRootPath = _contentRoot.FullName,
            ApplicationName = "MyApi",
        });
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication()
            .AddDPoP()
            .AddDevelopmentIssuer();
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/hello", (HttpContext context) => new { name = context.User.Identity?.Name, jkt = context.User.FindFirst("jkt")?.Value })
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = DPoPDefaults.AuthenticationScheme });
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task A_new_api_with_AddDevelopmentIssuer_gives_an_agent_a_200_with_a_DPoP_bound_token()
    {
        await using var api = await StartApiAsync("Development");
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("http://localhost/"))
            .ConfigurePrimaryHttpMessageHandler(() => api.GetTestServer().CreateHandler())
            .AddDPoP(o =>
            {
                o.TokenEndpoint = new Uri("http://localhost/dev-issuer/token");
                o.ClientId = "my-agent";
                o.Scope = "orders:read";
            });
        services.AddHttpClient(DPoPTokenManager.TokenHttpClientName).ConfigurePrimaryHttpMessageHandler(() => api.GetTestServer().CreateHandler());
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");

        using var response = await client.GetAsync(new Uri("/hello", UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("my-agent", json.GetProperty("name").GetString()); // sub, as User.Identity.Name
        Assert.Equal(provider.GetRequiredKeyedService<DPoPSession>("api").Key.Thumbprint, json.GetProperty("jkt").GetString());

        // With no audience configured, the application name is the audience of the scheme and of the tokens.
        string token = api.Services.GetRequiredService<DPoPDevelopmentIssuer>().CreateToken("someone", jkt: null);
        Assert.Equal(["MyApi"], new JsonWebToken(token).Audiences);
        Assert.True(File.Exists(Path.Combine(_contentRoot.FullName, ".arcp-dpop-dev", "signing-key.pem")));
    }

    [Fact]
    public async Task Without_a_DPoP_scheme_to_trust_it_the_development_issuer_says_what_is_missing()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = _contentRoot.FullName });
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication().AddDevelopmentIssuer();
        await using var app = builder.Build();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains("Call AddDPoP()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_api_in_Production_refuses_to_start_without_an_issuer_and_made_no_key()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartApiAsync("Production"));
        Assert.Contains("Set Authority (or MetadataAddress)", error.ToString(), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_contentRoot.FullName, ".arcp-dpop-dev")));
    }
}
