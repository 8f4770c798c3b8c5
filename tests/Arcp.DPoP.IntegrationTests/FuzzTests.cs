using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;
using Xunit.Abstractions;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Seeded mutation fuzzing through the whole stack: valid proofs and tokens, mutated (bytes flipped, truncated,
/// re-encoded, segments swapped, members duplicated, nesting, huge numbers, unicode...) — every response must be a 4xx
/// ARCP problem document without exception text, never a 5xx, and never a 200 for a proof or token that changed.
/// </summary>
public sealed class FuzzTests : IClassFixture<SampleApiFactory>
{
    private const string Register = "/agents/register";
    private const int Seed = 9449;
    private const int ProofCases = 2500;
    private const int TokenCases = 500;
    private static readonly string Base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static readonly string Hostile = "=+/.!\"#$%&'()*,:;<>?@[]^`{|}~ \t";

    private readonly SampleApiFactory _factory;
    private readonly ITestOutputHelper _output;

    public FuzzTests(SampleApiFactory factory, ITestOutputHelper output)
    {
        _factory = factory;
        _output = output;
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("EdDSA")]
    public async Task Mutated_proofs_get_4xx_problems_never_5xx_never_200(string algorithm)
    {
        var random = new Random(Seed);
        using var client = _factory.CreateClient();
        using var key = TestKey.Create(algorithm);
        string token = await _factory.GetTokenAsync(client, key);
        var statuses = new Dictionary<string, int>();

        for (int i = 0; i < ProofCases; i++)
        {
            var builder = _factory.Proof(key, "POST", Register, token);
            string valid = builder.Build();
            string mutated = Mutate(random, builder, key, valid, out string operation);
            if (mutated == valid)
            {
                continue;
            }

            using var request = SampleApiFactory.Request(HttpMethod.Post, Register, token, mutated);
            using var response = await client.SendAsync(request);
            await AssertRefusedAsync(response, $"case {i} ({operation})", statuses);
        }

        Report(algorithm + " proofs", statuses);
    }

    [Fact]
    public async Task Mutated_access_tokens_get_4xx_problems_never_5xx_never_200()
    {
        var random = new Random(Seed + 1);
        using var client = _factory.CreateClient();
        using var key = TestKey.Create();
        string token = await _factory.GetTokenAsync(client, key);
        var statuses = new Dictionary<string, int>();

        for (int i = 0; i < TokenCases; i++)
        {
            string mutated = MutateText(random, token, out string operation);
            if (mutated == token || string.IsNullOrWhiteSpace(mutated))
            {
                continue;
            }

            // The proof is made for the mutated token (its ath matches), so only the token itself can fail.
            string proof = _factory.Proof(key, "POST", Register, mutated.Trim()).Build();
            using var request = SampleApiFactory.Request(HttpMethod.Post, Register, mutated, proof);
            using var response = await client.SendAsync(request);
            await AssertRefusedAsync(response, $"token case {i} ({operation})", statuses);
        }

        Report("tokens", statuses);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string label, Dictionary<string, int> statuses)
    {
        string body = await response.Content.ReadAsStringAsync();
        int status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{label}: {status} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(body);
        string type = json.RootElement.GetProperty("type").GetString()!;
        Assert.StartsWith("https://arcp.0x001.tech/docs/problems/", type, StringComparison.Ordinal);
        string slug = $"{status} {type["https://arcp.0x001.tech/docs/problems/".Length..]}";
        statuses[slug] = statuses.GetValueOrDefault(slug) + 1;
    }

    private void Report(string what, Dictionary<string, int> statuses)
    {
        _output.WriteLine($"{what}: {statuses.Values.Sum()} cases, " + string.Join(", ", statuses.OrderByDescending(s => s.Value).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.Values.Sum() > 100);
    }

    private static string Mutate(Random random, ProofBuilder builder, TestKey key, string valid, out string operation)
    {
        string[] parts = valid.Split('.');
        switch (random.Next(12))
        {
            case 0:
            case 1:
            case 2:
                return MutateText(random, valid, out operation);
            case 3:
                operation = "swap segments";
                return parts[1] + "." + parts[0] + "." + parts[2];
            case 4:
                operation = "duplicate member";
                string member = random.Next(2) == 0 ? ",\"alg\":\"none\"" : ",\"htm\":\"GET\"";
                if (member.Contains("alg", StringComparison.Ordinal))
                {
                    builder.RawHeader = builder.Header.ToJsonString().TrimEnd('}') + member + "}";
                }
                else
                {
                    builder.RawPayload = builder.Payload.ToJsonString().TrimEnd('}') + member + "}";
                }

                return builder.Build();
            case 5:
                operation = "deep nesting";
                int depth = random.Next(16, 400); // beyond the reader's depth limit: a validly signed but refused proof
                builder.RawPayload = builder.Payload.ToJsonString().TrimEnd('}') + ",\"x\":" + new string('[', depth) + new string(']', depth) + "}";
                return builder.Build();
            case 6:
                operation = "huge or odd iat";
                string[] values = ["1e309", "-1e309", "99999999999999999999999999", "-0", "1.5e10", "\"now\"", "null", "[1]", "{\"a\":1}", "NaN"];
                builder.RawPayload = builder.Payload.ToJsonString().Replace(
                    "\"iat\":" + builder.Payload["iat"], "\"iat\":" + values[random.Next(values.Length)], StringComparison.Ordinal);
                return builder.Build();
            case 7:
                operation = "unicode claims";
                string[] unicode = ["\u0000", "\u202e", "\ud83d\ude00", "\uffff", "é", "\\ud800", "\u0085"];
                builder.Payload["htm"] = "PO" + unicode[random.Next(unicode.Length)] + "ST";
                return builder.Build();
            case 8:
                operation = "re-encoded header, same claims, new signature by another key";
                using (var other = TestKey.Create(random.Next(2) == 0 ? "ES256" : "ES384"))
                {
                    return builder.Build(input => other.Sign(input, "ES256"));
                }

            case 9:
                operation = "alg changed";
                string[] algs = ["none", "HS256", "ES384", "RS256", "EdDSA", "", "es256", "ES256 "];
                builder.Header["alg"] = algs[random.Next(algs.Length)];
                return builder.Build();
            case 10:
                operation = "jwk changed";
                var jwk = key.PublicJwk();
                string[] members = ["x", "y", "crv", "kty"];
                string target = members[random.Next(members.Length)];
                jwk[target] = random.Next(3) switch { 0 => JsonValue.Create(12), 1 => JsonValue.Create("AAAA"), _ => null };
                builder.Header["jwk"] = jwk;
                return builder.Build();
            default:
                operation = "payload re-encoded with a changed claim, original signature";
                var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
                payload["jti"] = "j" + random.Next();
                return parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
        }
    }

    private static string MutateText(Random random, string text, out string operation)
    {
        var chars = text.ToCharArray();
        switch (random.Next(5))
        {
            case 0:
                operation = "flip characters";
                int flips = random.Next(1, 4);
                for (int f = 0; f < flips; f++)
                {
                    int at = random.Next(chars.Length);
                    string pool = random.Next(4) == 0 ? Hostile : Base64Chars;
                    chars[at] = pool[random.Next(pool.Length)];
                }

                return new string(chars);
            case 1:
                operation = "truncate";
                return text[..random.Next(text.Length)];
            case 2:
                operation = "insert";
                int position = random.Next(text.Length);
                string[] inserts = [".", "..", "=", "A", "%00", " ", ",", "eyJ"];
                return text[..position] + inserts[random.Next(inserts.Length)] + text[position..];
            case 3:
                operation = "append garbage";
                return text + new string('A', random.Next(1, 9000));
            default:
                operation = "drop a segment";
                string[] parts = text.Split('.');
                int drop = random.Next(parts.Length);
                return string.Join('.', parts.Where((_, index) => index != drop));
        }
    }
}
