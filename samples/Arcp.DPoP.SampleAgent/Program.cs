using Arcp.DPoP.SampleAgent;
using Arcp.DPoP.SampleApi;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

// dotnet run --project samples/Arcp.DPoP.SampleAgent              hosts the sample API on a free loopback port
// dotnet run --project samples/Arcp.DPoP.SampleAgent -- --api URL  talks to a running API with a /dev/token endpoint
var output = new StoryWriter(Console.Out, StoryWriter.TerminalHasColor());
Uri api;
Microsoft.AspNetCore.Builder.WebApplication? host = null;
int apiIndex = Array.IndexOf(args, "--api");
if (apiIndex >= 0)
{
    if (apiIndex + 1 >= args.Length || !Uri.TryCreate(args[apiIndex + 1], UriKind.Absolute, out var given))
    {
        Console.Error.WriteLine("usage: Arcp.DPoP.SampleAgent [--api http://127.0.0.1:5080]");
        return 2;
    }

    api = given;
}
else
{
    host = SampleApiApp.Build(
    [
        "--urls", "http://127.0.0.1:0",
        "--environment", "Development", // the development token issuer runs only in Development
        "--Authentication:Schemes:DPoP:Audience", "arcp-api",
        "--Logging:LogLevel:Default", "Warning",
        "--Logging:LogLevel:Arcp.DPoP.DPoPHandler", "Error",
    ]);
    await host.StartAsync();
    string address = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
    api = new Uri(address);
}

Console.WriteLine($"Arcp.DPoP sample agent, talking to {api}");
using var transport = new SocketsHttpHandler();
bool ok;
try
{
    ok = await new AgentStory(api, transport, output).RunAsync();
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"Cannot reach the API at {api}: {ex.Message}");
    ok = false;
}
catch (Arcp.DPoP.Client.DPoPTokenRequestException ex)
{
    Console.Error.WriteLine($"The API's development token endpoint ({api}dev/token) refused the token request: {ex.Message}");
    ok = false;
}
finally
{
    if (host is not null)
    {
        await host.StopAsync();
        await host.DisposeAsync();
    }
}

return ok ? 0 : 1;

/// <summary>The agent's entry point (internal: the sample API's Program is the public one).</summary>
internal sealed partial class Program;
