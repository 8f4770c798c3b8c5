using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 item 2: outside Development the expected <c>htu</c> is never built from a Host header the client chose,
/// unless the application says so: PublicOrigin, AllowedHosts naming the hosts, or TrustHostHeader. Otherwise the
/// application does not start, and the message names the settings.
/// </summary>
public sealed class HostHeaderTests
{
    [Fact]
    public async Task Outside_Development_without_an_origin_setting_the_app_does_not_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SecurityApi.StartAsync(new() { Environment = "Production" }));
        Assert.Contains("PublicOrigin", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowedHosts", error.Message, StringComparison.Ordinal);
        Assert.Contains("TrustHostHeader", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_AllowedHosts_a_proof_made_for_another_host_is_refused()
    {
        await using var api = await SecurityApi.StartAsync(new() { Environment = "Production", Settings = { ["AllowedHosts"] = "localhost" } });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var ok = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // A proof made for another API that accepts the same audience, replayed here with that API's Host.
        using var request = SecurityApi.Request("http://other-api.example/orders", token, SecurityApi.Proof(key, "/orders", token, origin: "http://other-api.example"));
        using var refused = await api.Client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
    }

    [Fact]
    public async Task The_handler_itself_refuses_a_host_AllowedHosts_does_not_name()
    {
        // Host filtering middleware removed: the handler still does not build htu from a host the application does not serve.
        await using var api = await SecurityApi.StartAsync(new()
        {
            Environment = "Production",
            Settings = { ["AllowedHosts"] = "localhost" },
            Services = s => s.RemoveAll<Microsoft.AspNetCore.Hosting.IStartupFilter>(),
        });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        var hostFiltering = api.App.Services.GetRequiredService<IOptionsMonitor<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions>>().CurrentValue;
        Assert.Equal(["localhost"], hostFiltering.AllowedHosts);

        using var request = SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token, origin: "http://other-api.example"));
        request.Headers.Host = "other-api.example";
        using var refused = await api.Client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
    }

    [Fact]
    public async Task TrustHostHeader_is_the_explicit_opt_in()
    {
        await using var api = await SecurityApi.StartAsync(new() { Environment = "Production", Configure = o => o.TrustHostHeader = true });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        using var ok = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task TrustHostHeader_binds_from_configuration()
    {
        await using var api = await SecurityApi.StartAsync(new() { Environment = "Production", Settings = { ["Authentication:Schemes:DPoP:TrustHostHeader"] = "true" } });
        Assert.True(api.App.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme).TrustHostHeader);
    }

    [Fact]
    public async Task The_sample_as_shipped_refuses_a_foreign_Host()
    {
        await using var factory = new SampleApiFactory();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        var proof = new ProofBuilder(key, "POST", "http://other-api.example/agents/register").ForToken(token).Build();
        using var request = SampleApiFactory.Request(HttpMethod.Post, "http://other-api.example/agents/register", token, proof);
        using var response = await client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
