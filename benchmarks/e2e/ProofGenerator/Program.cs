using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Arcp.DPoP.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

// Makes what benchmarks/e2e/run.sh sends, before any round starts: the issuer's key, and request files for wrk.
// A request file is read by benchmarks/e2e/request.lua: line 1 is a header line sent with every request (may be empty),
// line 2 the name of the header that changes per request, then one value of it per request. Both sides get the same
// kind of file so wrk's per-request work is the same: the JwtBearer side's changing header is Authorization (the same
// bearer token on every line), the DPoP side's is DPoP (a proof never used before on every line).
//
// usage:
//   ProofGenerator issuer-key <pem file>
//       writes a new P-256 issuer key (PKCS#8 PEM); the sample (DevelopmentIssuer:KeyFile) and the JwtBearer app
//       (Issuer:KeyFile) both trust it.
//   ProofGenerator bearer <issuer pem> <count> <file>
//       one bearer token (no cnf), repeated on <count> lines.
//   ProofGenerator dpop [--alg <alg>] [--bearer] <issuer pem> <request url> <count> <file>...
//       a new agent key (ES256 unless --alg names another proof algorithm: EdDSA as ARCP's agents use, RS256, PS256...)
//       and one token bound to it (cnf.jkt); each file gets <count> distinct proofs for POST <url>. The token is ES256
//       whatever the proof's algorithm: the issuer is the same as the JwtBearer side's. --bearer sends the token as
//       "Authorization: Bearer", for the JwtBearer app that verifies proof signatures (run.sh's bound configuration).
const string Issuer = "https://dev-issuer.arcp-dpop.invalid"; // the sample accepts it as ValidIssuer (run.sh), beside its development issuer
const string Audience = "arcp-api";

string algorithm = "ES256"; // dpop's options, right after the command: --alg <proof algorithm>, --bearer
string scheme = "DPoP";
while (args.Length > 1 && args[0] == "dpop" && args[1].StartsWith("--", StringComparison.Ordinal))
{
    if (args[1] == "--alg" && args.Length > 2)
    {
        algorithm = args[2];
        args = ["dpop", .. args[3..]];
    }
    else if (args[1] == "--bearer")
    {
        scheme = "Bearer";
        args = ["dpop", .. args[2..]];
    }
    else
    {
        break; // not an option: the usage line below
    }
}

try
{
    switch (args.Length > 0 ? args[0] : "")
    {
        case "issuer-key" when args.Length == 2:
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                await File.WriteAllTextAsync(args[1], key.ExportPkcs8PrivateKeyPem());
            }

            Console.WriteLine($"issuer key in {args[1]}");
            return 0;

        case "bearer" when args.Length == 4:
        {
            string token = CreateToken(args[1], jkt: null);
            int count = int.Parse(args[2], CultureInfo.InvariantCulture);
            await WriteRequestFileAsync(args[3], "", "Authorization", Enumerable.Repeat("Bearer " + token, count));
            Console.WriteLine($"{count} bearer requests in {args[3]}");
            return 0;
        }

        case "dpop" when args.Length >= 5:
        {
            var target = new Uri(args[2]);
            int count = int.Parse(args[3], CultureInfo.InvariantCulture);
            using var agent = DPoPKey.Generate(algorithm);
            string token = CreateToken(args[1], agent.Thumbprint);
            var factory = new DPoPProofFactory();
            var proofs = new string[count];
            foreach (string file in args[4..])
            {
                Parallel.For(0, count, i => proofs[i] = factory.CreateProof(agent, "POST", target, token));
                await WriteRequestFileAsync(file, $"Authorization: {scheme} {token}", "DPoP", proofs);
                Console.WriteLine($"{count} DPoP requests (distinct {algorithm} proofs for POST {target}) in {file}");
            }

            return 0;
        }

        default:
            Console.Error.WriteLine("usage: ProofGenerator issuer-key <pem> | bearer <issuer pem> <count> <file> | dpop [--alg <alg>] [--bearer] <issuer pem> <url> <count> <file>...");
            return 2;
    }
}
catch (Exception ex) when (ex is IOException or FormatException or CryptographicException or ArgumentException)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}

// The same claims as the sample's development tokens; valid for an hour, longer than any run.
static string CreateToken(string issuerKeyFile, string? jkt)
{
    using var key = ECDsa.Create();
    key.ImportFromPem(File.ReadAllText(issuerKeyFile));
    var signingKey = new ECDsaSecurityKey(key);
    signingKey.KeyId = Base64UrlEncoder.Encode(signingKey.ComputeJwkThumbprint()); // as the sample and the JwtBearer app name it
    var now = DateTime.UtcNow;
    var claims = new Dictionary<string, object>
    {
        ["sub"] = "wrk-agent",
        ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
        ["client_id"] = "wrk-agent",
        ["scope"] = "agents:register",
    };
    if (jkt is not null)
    {
        claims["cnf"] = new Dictionary<string, object> { ["jkt"] = jkt };
    }

    return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = Audience,
        IssuedAt = now,
        NotBefore = now,
        Expires = now.AddHours(1),
        TokenType = "at+jwt",
        Claims = claims,
        SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
    });
}

static async Task WriteRequestFileAsync(string path, string fixedHeader, string headerName, IEnumerable<string> values)
{
    await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 20);
    writer.NewLine = "\n";
    await writer.WriteLineAsync(fixedHeader);
    await writer.WriteLineAsync(headerName);
    foreach (string value in values)
    {
        await writer.WriteLineAsync(value);
    }
}
