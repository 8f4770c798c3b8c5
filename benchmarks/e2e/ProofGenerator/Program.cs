using System.Globalization;
using Arcp.DPoP.Client;

// Gets a DPoP-bound token from a sample API's /dev/token and writes N distinct proofs for POST <api><path>, so wrk can
// send a never-used proof with every request (replay detection stays on).
// usage: ProofGenerator <api base url> <path> <count> <output directory>
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: ProofGenerator <api base url> <path> <count> <output directory>");
    return 2;
}

var api = new Uri(args[0]);
var target = new Uri(api, args[1]);
int count = int.Parse(args[2], CultureInfo.InvariantCulture);
Directory.CreateDirectory(args[3]);

using var session = new DPoPSession(DPoPKey.Generate("ES256"));
using var http = new HttpClient();
string token = await session.RequestTokenAsync(http, new Uri(api, "/dev/token"), [new("agent_id", "wrk-agent")]);
var factory = new DPoPProofFactory();
var proofs = new string[count];
Parallel.For(0, count, i => proofs[i] = factory.CreateProof(session.Key, "POST", target, token));
await File.WriteAllTextAsync(Path.Combine(args[3], "token.txt"), token);
await File.WriteAllLinesAsync(Path.Combine(args[3], "proofs.txt"), proofs);
Console.WriteLine($"{count} proofs for POST {target} in {args[3]}");
return 0;
