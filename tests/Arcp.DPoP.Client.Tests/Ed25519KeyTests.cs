using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using Arcp.DPoP.SampleAgent;

namespace Arcp.DPoP.Client.Tests;

/// <summary>Ed25519 keys in the client: OKP JWKs (RFC 8037 §2), proofs named EdDSA by default or Ed25519 (RFC 9864).</summary>
public sealed class Ed25519KeyTests
{
    private static readonly Uri Register = new(SampleApi.BaseAddress, "/agents/register");
    private static readonly Uri TokenEndpoint = new(SampleApi.BaseAddress, "/dev-issuer/token");

    private static readonly Lazy<JsonDocument> Vectors = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rfc9449.json"))));

    private static JsonElement EdDsa => Vectors.Value.RootElement.GetProperty("eddsa");

    private static string Rfc8037PrivateJwk => EdDsa.GetProperty("rfc8037_a1_private_jwk").GetRawText();

    private static (JsonElement Header, JsonElement Payload) Decode(string proof)
    {
        string[] parts = proof.Split('.');
        return (JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement, JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement);
    }

    [Fact]
    public void The_RFC_8037_key_imports_as_EdDSA_with_the_A3_thumbprint_and_signs_the_A4_signature()
    {
        using var key = DPoPKey.ImportPrivateJwk(Rfc8037PrivateJwk);
        Assert.Equal("EdDSA", key.Algorithm);
        Assert.Equal(EdDsa.GetProperty("rfc8037_a3_thumbprint").GetString(), key.Thumbprint);
        Assert.Equal("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", key.PublicJwk);

        string jws = EdDsa.GetProperty("rfc8037_a4_jws").GetProperty("jws").GetString()!;
        int lastDot = jws.LastIndexOf('.');
        Assert.Equal(jws[(lastDot + 1)..], Base64Url.EncodeToString(key.Sign(Encoding.ASCII.GetBytes(jws[..lastDot]))));
    }

    [Fact]
    public void A_generated_Ed25519_key_has_a_public_OKP_jwk_and_the_servers_thumbprint()
    {
        using var key = DPoPKey.Generate("EdDSA");
        using var jwk = JsonDocument.Parse(key.PublicJwk);
        Assert.Equal(["kty", "crv", "x"], jwk.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("OKP", jwk.RootElement.GetProperty("kty").GetString());
        Assert.Equal("Ed25519", jwk.RootElement.GetProperty("crv").GetString());
        Assert.Equal(32, Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("x").GetString()).Length);
        Assert.Equal(JwkThumbprint.Compute(key.PublicJwk), key.Thumbprint);
        Assert.Equal($"DPoPKey EdDSA {key.Thumbprint}", key.ToString());
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    public void Export_and_import_keep_the_key_and_its_alg_name_and_d_leaves_only_in_the_private_export(string algorithm)
    {
        using var key = DPoPKey.Generate(algorithm);
        string exported = key.ExportPrivateJwk();
        using (var jwk = JsonDocument.Parse(exported))
        {
            Assert.Equal(32, Base64Url.DecodeFromChars(jwk.RootElement.GetProperty("d").GetString()).Length);
            Assert.Equal(algorithm, jwk.RootElement.GetProperty("alg").GetString());
            Assert.DoesNotContain(jwk.RootElement.GetProperty("d").GetString()!, key.PublicJwk, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("\"d\"", key.PublicJwk, StringComparison.Ordinal);
        using var imported = DPoPKey.ImportPrivateJwk(exported);
        Assert.Equal(key.Thumbprint, imported.Thumbprint);
        Assert.Equal(algorithm, imported.Algorithm);

        // The imported key signs proofs the server accepts under the same thumbprint.
        string proof = new DPoPProofFactory().CreateProof(imported, "GET", Register);
        var result = new DPoPProofValidator(new DPoPOptions()).Validate(proof, "GET", Register.AbsoluteUri);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(key.Thumbprint, result.Proof.Jkt);
    }

    [Fact]
    public void An_Ed25519_key_signs_as_EdDSA_by_default_and_as_Ed25519_when_asked()
    {
        using var asEdDsa = DPoPKey.ImportPrivateJwk(Rfc8037PrivateJwk);
        using var asEd25519 = DPoPKey.ImportPrivateJwk(Rfc8037PrivateJwk, "Ed25519");
        var factory = new DPoPProofFactory();
        var (eddsaHeader, _) = Decode(factory.CreateProof(asEdDsa, "POST", Register));
        var (ed25519Header, _) = Decode(factory.CreateProof(asEd25519, "POST", Register));
        Assert.Equal("EdDSA", eddsaHeader.GetProperty("alg").GetString());
        Assert.Equal("Ed25519", ed25519Header.GetProperty("alg").GetString());
        Assert.Equal("OKP", eddsaHeader.GetProperty("jwk").GetProperty("kty").GetString());
        Assert.Equal(asEdDsa.Thumbprint, asEd25519.Thumbprint);
    }

    [Theory]
    [InlineData("""{"kty":"OKP","crv":"Ed448","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}""", "Ed448")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", "'d'")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}""", "not the public key of its 'd'")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9"}""", "32-byte 'd'")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}""", "'ES256' does not fit")]
    public void Importing_a_bad_Ed25519_jwk_fails_clearly(string jwk, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => DPoPKey.ImportPrivateJwk(jwk));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_EC_key_cannot_be_imported_as_EdDSA()
    {
        using var ec = DPoPKey.Generate("ES256");
        Assert.Throws<FormatException>(() => DPoPKey.ImportPrivateJwk(ec.ExportPrivateJwk(), "EdDSA"));
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    public async Task A_session_with_an_Ed25519_key_gets_a_bound_token_and_calls_the_sample_api(string algorithm)
    {
        await using var api = new SampleApi();
        using var transport = api.Transport();
        using var session = new DPoPSession(DPoPKey.Generate(algorithm));
        using var plain = new HttpClient(transport, disposeHandler: false);
        string token = await session.RequestTokenAsync(plain, TokenEndpoint, [new("client_id", "agent-ed")]);
        Assert.Equal(session.Key.Thumbprint, JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1])).RootElement.GetProperty("cnf").GetProperty("jkt").GetString());

        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        for (int i = 0; i < 2; i++)
        {
            using var response = await client.PostAsync(Register, null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(session.Key.Thumbprint, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Rotated (still Ed25519, same alg name), the new key's proof with the old token is a binding mismatch.
        var keyB = session.RotateKey();
        Assert.Equal(algorithm, keyB.Algorithm);
        using var request = new HttpRequestMessage(HttpMethod.Post, Register);
        request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + token);
        request.Headers.TryAddWithoutValidation("DPoP", new DPoPProofFactory().CreateProof(keyB, "POST", Register, token));
        using var mismatch = await plain.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, mismatch.StatusCode);
        Assert.Equal(DPoPProblem.BindingMismatch, (await DPoPProblem.ReadAsync(mismatch))?.Slug);
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    [InlineData("ES256")]
    public async Task The_sample_agent_tells_its_story_with_the_algorithm_it_is_given(string algorithm)
    {
        await using var api = new SampleApi();
        using var transport = api.Server.CreateHandler();
        using var output = new StringWriter();

        bool ok = await new AgentStory(SampleApi.BaseAddress, transport, new StoryWriter(output, color: false), algorithm).RunAsync();

        string story = output.ToString();
        Assert.True(ok, story);
        Assert.Contains($"key A: {algorithm}", story, StringComparison.Ordinal);
        Assert.Contains("dpop-binding-mismatch", story, StringComparison.Ordinal);
        Assert.Equal(2, story.Split("✔ 200 OK").Length - 1);
    }
}
