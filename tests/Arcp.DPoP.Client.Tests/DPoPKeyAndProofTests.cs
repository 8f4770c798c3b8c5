using System.Buffers.Text;
using System.Text.Json;

namespace Arcp.DPoP.Client.Tests;

public class DPoPKeyAndProofTests
{
    private static readonly Uri Register = new("https://api.example.com/agents/register?page=1#top");

    public static TheoryData<string> Algorithms()
    {
        var data = new TheoryData<string>();
        foreach (string algorithm in DPoPKey.SupportedAlgorithms)
        {
            data.Add(algorithm);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Proofs_the_client_makes_pass_the_server_validator(string algorithm)
    {
        using var key = DPoPKey.Generate(algorithm);
        string token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
        string proof = new DPoPProofFactory().CreateProof(key, "POST", Register, token, nonce: "n-1");

        var result = new DPoPProofValidator(new DPoPOptions()).Validate(proof, "POST", "https://api.example.com/agents/register", token);

        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(key.Thumbprint, result.Proof.Jkt);
        Assert.Equal(algorithm, result.Proof.Algorithm);
        Assert.Equal("n-1", result.Proof.Nonce);
        Assert.Equal(DPoPProofFactory.ComputeAth(token), result.Proof.Ath);
    }

    [Fact]
    public void The_client_lists_its_algorithms_in_its_own_order_with_the_servers_names()
    {
        // The names are shared with the server (src/Shared); the order is the client's: ES256, the default key, first.
        Assert.Equal("ES256 ES384 ES512 EdDSA Ed25519 PS256 PS384 PS512 RS256 RS384 RS512", string.Join(' ', DPoPKey.SupportedAlgorithms));
        Assert.Equal(DPoPOptions.DefaultAllowedAlgorithms.Order(StringComparer.Ordinal), DPoPKey.SupportedAlgorithms.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_key_thumbprint_is_the_servers_RFC_7638_thumbprint_of_its_public_jwk()
    {
        using var key = DPoPKey.Generate();
        Assert.Equal(JwkThumbprint.Compute(key.PublicJwk), key.Thumbprint);
    }

    [Fact]
    public void Thumbprints_match_the_RFC_vectors()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "rfc9449.json")));
        int count = 0;
        foreach (var vector in document.RootElement.GetProperty("thumbprints").EnumerateArray())
        {
            var jwk = vector.GetProperty("jwk");
            string kty = jwk.GetProperty("kty").GetString()!;
            string? Member(string name) => jwk.TryGetProperty(name, out var value) ? value.GetString() : null;
            string thumbprint = JwkThumbprintCore.Compute(kty, crv: Member("crv"), e: Member("e"), n: Member("n"), x: Member("x"), y: Member("y"));
            Assert.Equal(vector.GetProperty("jkt").GetString(), thumbprint);
            count++;
        }

        Assert.Equal(3, count);
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("PS256")]
    public void A_key_exported_and_imported_is_the_same_key(string algorithm)
    {
        using var key = DPoPKey.Generate(algorithm);
        using var imported = DPoPKey.ImportPrivateJwk(key.ExportPrivateJwk());
        Assert.Equal(key.Thumbprint, imported.Thumbprint);
        Assert.Equal(algorithm, imported.Algorithm);
        string proof = new DPoPProofFactory().CreateProof(imported, "GET", Register);
        Assert.True(new DPoPProofValidator(new DPoPOptions()).Validate(proof, "GET", "https://api.example.com/agents/register").IsValid);
    }

    [Fact]
    public void The_private_key_is_never_serialised_by_accident()
    {
        using var key = DPoPKey.Generate();
        string privateD = JsonDocument.Parse(key.ExportPrivateJwk()).RootElement.GetProperty("d").GetString()!;
        Assert.DoesNotContain(privateD, key.PublicJwk, StringComparison.Ordinal);
        Assert.DoesNotContain(privateD, key.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(privateD, JsonSerializer.Serialize(key), StringComparison.Ordinal);
        Assert.DoesNotContain("\"d\"", key.PublicJwk, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}""")]
    [InlineData("""{"kty":"oct","k":"c2VjcmV0"}""")]
    [InlineData("[1,2]")]
    [InlineData("\"a string\"")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","alg":7,"x":"AA","d":"AA"}""")]
    [InlineData("""{"kty":"EC","crv":"P-256","alg":"\uD800","x":"AA","y":"AA","d":"AA"}""")]
    public void Importing_something_else_than_a_private_key_fails_clearly(string jwk)
    {
        Assert.Throws<FormatException>(() => DPoPKey.ImportPrivateJwk(jwk));
    }

    [Fact]
    public void Unknown_algorithms_are_refused()
    {
        Assert.Throws<ArgumentException>(() => DPoPKey.Generate("HS256"));
    }

    [Fact]
    public void A_proof_carries_what_RFC_9449_asks_and_nothing_of_the_query()
    {
        using var key = DPoPKey.Generate();
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        string proof = new DPoPProofFactory(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now)).CreateProof(key, "POST", Register);
        string[] parts = proof.Split('.');
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        Assert.Equal("dpop+jwt", header.RootElement.GetProperty("typ").GetString());
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("EC", header.RootElement.GetProperty("jwk").GetProperty("kty").GetString());
        Assert.Equal("https://api.example.com/agents/register", payload.RootElement.GetProperty("htu").GetString());
        Assert.Equal("POST", payload.RootElement.GetProperty("htm").GetString());
        Assert.Equal(now.ToUnixTimeSeconds(), payload.RootElement.GetProperty("iat").GetInt64());
        Assert.True(payload.RootElement.GetProperty("jti").GetString()!.Length >= 22);
        Assert.False(payload.RootElement.TryGetProperty("ath", out _));
        Assert.NotEqual(proof, new DPoPProofFactory().CreateProof(key, "POST", Register));
    }
}
