using Arcp.DPoP.SampleAgent;
using Arcp.DPoP.SampleApi;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.Client.Tests;

public sealed class SampleAgentStoryTests
{
    [Fact]
    public async Task The_sample_agent_tells_the_whole_story_against_the_sample_api()
    {
        await using var api = new SampleApi();
        using var transport = api.Server.CreateHandler();
        using var output = new StringWriter();

        bool ok = await new AgentStory(SampleApi.BaseAddress, transport, new StoryWriter(output, color: false)).RunAsync();

        string story = output.ToString();
        Assert.True(ok, story);
        Assert.Contains("dpop-binding-mismatch", story, StringComparison.Ordinal);
        Assert.Contains("DPoP proof key does not match token binding", story, StringComparison.Ordinal);
        Assert.Contains("already used", story, StringComparison.Ordinal);
        Assert.Contains("The story went as it should.", story, StringComparison.Ordinal);
        Assert.Equal(2, story.Split("✔ 200 OK").Length - 1); // registered with key A, then with key B

        // Before it asks for a token, it learned from the API where to get one and which algorithms to use (RFC 9728).
        int discovered = story.IndexOf("resource_metadata: ", StringComparison.Ordinal);
        Assert.True(discovered > 0, story);
        Assert.True(discovered < story.IndexOf("token from /", StringComparison.Ordinal), story);
        Assert.Contains("resource_metadata: http://localhost/.well-known/oauth-protected-resource", story, StringComparison.Ordinal);
        Assert.Contains("proof algorithms: EdDSA Ed25519 ES256", story, StringComparison.Ordinal);

        // ... then the issuer's RFC 8414 metadata, for the token endpoint it then used.
        Assert.Contains("authorization servers: http://localhost/dev-issuer", story, StringComparison.Ordinal);
        Assert.Contains("authorization server metadata of http://localhost/dev-issuer", story, StringComparison.Ordinal);
        Assert.Contains("token_endpoint: http://localhost/dev-issuer/token", story, StringComparison.Ordinal);
        Assert.Contains("token from /dev-issuer/token", story, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_finds_the_token_endpoint_and_algorithm_by_discovery_alone_wherever_the_issuer_lives()
    {
        // The issuer moved, and the API accepts only ES256 proofs: an agent that hard-coded /dev-issuer/token or its
        // preferred EdDSA would fail. It knows only the API's URL: 401 -> RFC 9728 -> RFC 8414 -> token -> call.
        await using var api = new SampleApi
        {
            ExtraServices = services =>
            {
                services.Configure<Arcp.DPoP.Development.DPoPDevelopmentIssuerOptions>(o => o.Path = "/auth/elsewhere");
                services.PostConfigure<Arcp.DPoP.DPoPOptions>(Arcp.DPoP.DPoPDefaults.AuthenticationScheme, o =>
                {
                    o.AllowedAlgorithms.Clear();
                    o.AllowedAlgorithms.Add("ES256");
                });
            },
        };
        using var transport = api.Transport();
        using var output = new StringWriter();

        bool ok = await new AgentStory(SampleApi.BaseAddress, transport, new StoryWriter(output, color: false), algorithm: "EdDSA").RunAsync();

        string story = output.ToString();
        Assert.True(ok, story);
        Assert.Contains("authorization servers: http://localhost/auth/elsewhere", story, StringComparison.Ordinal);
        Assert.Contains("token_endpoint: http://localhost/auth/elsewhere/token", story, StringComparison.Ordinal);
        Assert.Contains("EdDSA is not accepted by both: the agent signs with ES256", story, StringComparison.Ordinal);
        Assert.Contains("token from /auth/elsewhere/token", story, StringComparison.Ordinal);
        Assert.Equal(2, story.Split("✔ 200 OK").Length - 1);
    }

    [Fact]
    public async Task The_sample_agent_tells_the_story_over_sockets_as_dotnet_run_does()
    {
        // What `dotnet run --project samples/Arcp.DPoP.SampleAgent` does: the sample API on a real loopback port, and
        // the agent's own sockets transport shared by its token request and its DPoP-signed requests.
        await using var host = SampleApiApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Development",
            "--AllowedHosts", "127.0.0.1",
            "--Authentication:Schemes:DPoP:Audience", "arcp-api",
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await host.StartAsync();
        var api = new Uri(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var transport = AgentStory.CreateSocketsTransport();
        using var output = new StringWriter();

        bool ok = await new AgentStory(api, transport, new StoryWriter(output, color: false)).RunAsync();

        string story = output.ToString();
        Assert.True(ok, story);
        Assert.Contains("dpop-binding-mismatch", story, StringComparison.Ordinal);
        Assert.Contains("The story went as it should.", story, StringComparison.Ordinal);

        // Over sockets the issuer is named for the origin the agent used, and its token endpoint is there too.
        string origin = api.GetLeftPart(UriPartial.Authority);
        Assert.Contains($"authorization servers: {origin}/dev-issuer", story, StringComparison.Ordinal);
        Assert.Contains($"token_endpoint: {origin}/dev-issuer/token", story, StringComparison.Ordinal);
        await host.StopAsync();
    }
}
