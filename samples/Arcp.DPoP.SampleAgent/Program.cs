using Arcp.DPoP.SampleAgent;
using Arcp.DPoP.SampleApi;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

// dotnet run --project samples/Arcp.DPoP.SampleAgent              hosts the sample API on a free loopback port
// dotnet run --project samples/Arcp.DPoP.SampleAgent -- --api URL  talks to a running API (it discovers the token endpoint)
// dotnet run --project samples/Arcp.DPoP.SampleAgent -- --alg ES256  signs with another algorithm (default EdDSA)
const string Usage = "usage: Arcp.DPoP.SampleAgent [--api http://127.0.0.1:5080] [--alg EdDSA|Ed25519|ES256|...]";
var output = new StoryWriter(Console.Out, StoryWriter.TerminalHasColor());
Uri? api = null;
string algorithm = "EdDSA";
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--api" when Uri.TryCreate(value, UriKind.Absolute, out var given):
            api = given;
            i++;
            break;
        case "--alg" when value is not null && Arcp.DPoP.Client.DPoPKey.SupportedAlgorithms.Contains(value):
            algorithm = value;
            i++;
            break;
        case "--alg":
            Console.Error.WriteLine($"--alg must be one of: {string.Join(' ', Arcp.DPoP.Client.DPoPKey.SupportedAlgorithms)}.");
            Console.Error.WriteLine(Usage);
            return 2;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

Microsoft.AspNetCore.Builder.WebApplication? host = null;
if (api is null)
{
    host = SampleApiApp.Build(
    [
        "--urls", "http://127.0.0.1:0",
        "--environment", "Development", // the development token issuer runs only in Development
        "--AllowedHosts", "127.0.0.1", // the only host it is reached by: the htu's origin is never a Host the client chose
        "--Authentication:Schemes:DPoP:Audience", "arcp-api",
        "--Logging:LogLevel:Default", "Warning",
        "--Logging:LogLevel:Arcp.DPoP.DPoPHandler", "Error",
    ]);
    await host.StartAsync();
    string address = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
    api = new Uri(address);
}

Console.WriteLine($"Arcp.DPoP sample agent, talking to {api}, signing proofs with {algorithm}");
using var transport = AgentStory.CreateSocketsTransport();
bool ok;
try
{
    ok = await new AgentStory(api, transport, output, algorithm).RunAsync();
}
catch (HttpRequestException ex)
{
    Console.Error.WriteLine($"Cannot reach the API at {api}: {ex.Message}");
    ok = false;
}
catch (Arcp.DPoP.Client.DPoPResourceMetadataException ex)
{
    Console.Error.WriteLine($"Discovery failed (the API's protected resource metadata or its authorization server's metadata): {ex.Message}");
    ok = false;
}
catch (Arcp.DPoP.Client.DPoPTokenRequestException ex)
{
    Console.Error.WriteLine($"The token endpoint of the API's authorization server refused the token request: {ex.Message}");
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
