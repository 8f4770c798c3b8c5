using System.Buffers.Text;
using System.Net;
using System.Text.Json;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// Ed25519 DPoP against an independent implementation (panva's jose and dpop, run by Node.js from tests/interop):
/// its proofs, from fresh keys at the current time, pass our validator and the sample API under both alg names, and
/// our client's proofs pass jose's verification.
/// </summary>
public sealed class InteropTests : IClassFixture<NodeInterop>
{
    private const string Htu = "https://api.example.com/agents/register";
    private static readonly Uri Register = new(SampleApi.BaseAddress, "/agents/register");
    private static readonly Uri TokenEndpoint = new(SampleApi.BaseAddress, "/dev-issuer/token");

    private readonly NodeInterop _node;

    public InteropTests(NodeInterop node)
    {
        _node = node;
    }

    private JsonElement Make(string lib, string alg, string htm, string htu, string? token = null, string? key = null)
    {
        var arguments = new List<string> { "make", "--lib", lib, "--alg", alg, "--htm", htm, "--htu", htu };
        if (token is not null)
        {
            arguments.AddRange(["--token", token]);
        }

        if (key is not null)
        {
            arguments.AddRange(["--key", key]);
        }

        return _node.Run([.. arguments]);
    }

    public static TheoryData<string, string> Generators() => new()
    {
        { "jose", "EdDSA" },
        { "jose", "Ed25519" },
        { "dpop", "Ed25519" }, // the dpop package's own proof format; it names Ed25519 proofs by the RFC 9864 alg
    };

    [Theory]
    [MemberData(nameof(Generators))]
    public void Proofs_made_by_an_independent_implementation_pass_our_validator(string lib, string alg)
    {
        const string token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln";
        var made = Make(lib, alg, "POST", Htu, token);
        Assert.Equal(alg, made.GetProperty("alg").GetString());

        var result = new DPoPProofValidator(new DPoPOptions()).Validate(made.GetProperty("proof").GetString()!, "POST", Htu, token);

        Assert.True(result.IsValid, $"{lib} {alg}: {result.Failure}");
        Assert.Equal(alg, result.Proof.Algorithm);
        Assert.Equal("OKP", result.Proof.KeyType);
        Assert.Equal(made.GetProperty("jkt").GetString(), result.Proof.Jkt); // jose's RFC 7638 thumbprint is ours
        Assert.Equal(DPoPProofFactory.ComputeAth(token), result.Proof.Ath);

        // Sent to another URI, the same proof is refused: the validator did compare, not merely parse.
        Assert.Equal(DPoPFailureCode.HtuMismatch, new DPoPProofValidator(new DPoPOptions()).Validate(made.GetProperty("proof").GetString()!, "POST", Htu + "/other", token).Failure?.Code);
    }

    [Theory]
    [MemberData(nameof(Generators))]
    public async Task An_independent_Ed25519_client_gets_a_token_calls_the_sample_api_and_is_told_of_a_key_mismatch(string lib, string alg)
    {
        await using var api = new SampleApi();
        using var transport = api.Transport();
        using var http = new HttpClient(transport, disposeHandler: false);

        // The token endpoint binds the token to the proof's key.
        var first = Make(lib, alg, "POST", TokenEndpoint.AbsoluteUri);
        string jkt = first.GetProperty("jkt").GetString()!;
        string key = first.GetProperty("key").GetString()!;
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, TokenEndpoint);
        tokenRequest.Headers.TryAddWithoutValidation("DPoP", first.GetProperty("proof").GetString());
        using var tokenResponse = await http.SendAsync(tokenRequest);
        string tokenBody = await tokenResponse.Content.ReadAsStringAsync();
        Assert.True(tokenResponse.IsSuccessStatusCode, tokenBody);
        string token = JsonDocument.Parse(tokenBody).RootElement.GetProperty("access_token").GetString()!;
        Assert.Equal(jkt, JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.GetProperty("cnf").GetProperty("jkt").GetString());

        // The API accepts the same key's proof with the token.
        var second = Make(lib, alg, "POST", Register.AbsoluteUri, token, key);
        using (var request = new HttpRequestMessage(HttpMethod.Post, Register))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + token);
            request.Headers.TryAddWithoutValidation("DPoP", second.GetProperty("proof").GetString());
            using var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Contains(jkt, body, StringComparison.Ordinal);
        }

        // A new key with the old token: "DPoP Key Mismatch".
        var rotated = Make(lib, alg, "POST", Register.AbsoluteUri, token);
        Assert.NotEqual(jkt, rotated.GetProperty("jkt").GetString());
        using (var request = new HttpRequestMessage(HttpMethod.Post, Register))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + token);
            request.Headers.TryAddWithoutValidation("DPoP", rotated.GetProperty("proof").GetString());
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var problem = await DPoPProblem.ReadAsync(response);
            Assert.Equal(DPoPProblem.BindingMismatch, problem?.Slug);
            Assert.Equal(jkt, problem?.ExpectedJkt);
        }
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    public void Our_clients_proofs_pass_jose_verification(string algorithm)
    {
        using var key = DPoPKey.Generate(algorithm);
        const string token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJiIn0.c2ln";
        string proof = new DPoPProofFactory().CreateProof(key, "POST", new Uri(Htu + "?page=2"), token);

        var verified = _node.Run("verify", "--proof", proof, "--htm", "POST", "--htu", Htu, "--token", token);

        Assert.Equal(algorithm, verified.GetProperty("alg").GetString());
        Assert.Equal(key.Thumbprint, verified.GetProperty("jkt").GetString());
        Assert.Equal(DPoPProofFactory.ComputeAth(token), verified.GetProperty("payload").GetProperty("ath").GetString());

        // jose does refuse: the same proof for another method, and the proof with a forged signature.
        var wrongMethod = Assert.Throws<InteropException>(() => _node.Run("verify", "--proof", proof, "--htm", "GET", "--htu", Htu));
        Assert.Contains("htm POST is not GET", wrongMethod.Message, StringComparison.Ordinal);
        using var other = DPoPKey.Generate(algorithm);
        string foreign = new DPoPProofFactory().CreateProof(other, "POST", new Uri(Htu), token);
        string forged = proof[..proof.LastIndexOf('.')] + foreign[foreign.LastIndexOf('.')..];
        var refused = Assert.Throws<InteropException>(() => _node.Run("verify", "--proof", forged, "--htm", "POST", "--htu", Htu));
        Assert.Contains("signature verification failed", refused.Message, StringComparison.Ordinal);
    }
}
