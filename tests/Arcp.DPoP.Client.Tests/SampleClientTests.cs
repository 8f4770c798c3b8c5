using Arcp.DPoP.SampleApi;
using Arcp.DPoP.SampleClient;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.Client.Tests;

public sealed class SampleClientTests
{
    [Fact]
    public async Task The_sample_client_gets_its_tokens_from_a_running_sample_apis_development_issuer_and_calls_it()
    {
        // The sample API as `dotnet run` starts it, on a real loopback port.
        await using var host = SampleApiApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Development", // as `dotnet run` (its launch profile) starts it: the development issuer runs only there
            "--Authentication:Schemes:DPoP:Audience", "arcp-api",
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await host.StartAsync();
        var api = new Uri(host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        using var output = new StringWriter();

        bool ok = await SampleClientRun.RunAsync(api, new Uri(api, "/dev-issuer/token"), "sample-client", output);

        string story = output.ToString();
        Assert.True(ok, story);
        Assert.Equal(3, story.Split("-> 200").Length - 1);
        Assert.Contains("\"agent_id\":\"sample-client\"", story, StringComparison.Ordinal);
        await host.StopAsync();
    }
}
