using Arcp.DPoP.SampleClient;

// dotnet run --project samples/Arcp.DPoP.SampleApi -- --urls http://127.0.0.1:5080       (in another terminal)
// dotnet run --project samples/Arcp.DPoP.SampleClient -- --api http://127.0.0.1:5080
const string Usage = "usage: Arcp.DPoP.SampleClient --api http://127.0.0.1:5080 [--token-endpoint URL] [--client-id ID]";
Uri? api = null;
Uri? tokenEndpoint = null;
string clientId = "sample-client";
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--api" when Uri.TryCreate(args[i + 1], UriKind.Absolute, out var given):
            api = given;
            break;
        case "--token-endpoint" when Uri.TryCreate(args[i + 1], UriKind.Absolute, out var given):
            tokenEndpoint = given;
            break;
        case "--client-id":
            clientId = args[i + 1];
            break;
        default:
            api = null;
            i = args.Length;
            break;
    }
}

if (api is null || args.Length % 2 != 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

return await SampleClientRun.RunAsync(api, tokenEndpoint ?? new Uri(api, "/dev-issuer/token"), clientId, Console.Out) ? 0 : 1;
