using System.Buffers.Text;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// Access tokens signed with Ed25519 (EdDSA, RFC 8037; Ed25519, RFC 9864) validate through Microsoft.IdentityModel's
/// JsonWebTokenHandler against an issuer whose JWKS mixes RSA, EC and OKP keys; keys and algorithms this API cannot
/// use are named in the failure detail instead of "unknown kid".
/// </summary>
public sealed class IssuerEd25519KeyTests : IDisposable
{
    private const string Issuer = "https://arcp.test";
    private const string MetadataAddress = Issuer + "/.well-known/arcp-configuration";
    private readonly IssuerKey _eddsa = IssuerKey.Create("EdDSA", "arcp-20260130-a1b2c3d4");
    private readonly IssuerKey _ed25519 = IssuerKey.Create("Ed25519", "okp-2");
    private readonly IssuerKey _es256 = IssuerKey.Create("ES256", "ec-1");
    private readonly IssuerKey _rs256 = IssuerKey.Create("RS256", "rsa-1");
    private readonly Documents _documents = new();

    public IssuerEd25519KeyTests()
    {
        _documents.Publish(
            _eddsa.PublicJwk(), _ed25519.PublicJwk(), _es256.PublicJwk(), _rs256.PublicJwk(),
            new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed448", ["kid"] = "ed448-1", ["x"] = Base64Url.EncodeToString(new byte[57]) },
            new JsonObject { ["kty"] = "EC", ["crv"] = "secp256k1", ["kid"] = "k1-1", ["x"] = Base64Url.EncodeToString(new byte[32]), ["y"] = Base64Url.EncodeToString(new byte[32]) });
    }

    public void Dispose()
    {
        _eddsa.Dispose();
        _ed25519.Dispose();
        _es256.Dispose();
        _rs256.Dispose();
    }

    private static JsonObject Claims() => new()
    {
        ["sub"] = "user-1",
        ["agent_id"] = "agent-1",
        ["scopes"] = new JsonArray("agents:register"),
        ["role"] = "agent",
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
        ["iss"] = Issuer,
        ["token_type"] = "access",
    };

    private ConfigurationManager<OpenIdConnectConfiguration> Manager() =>
        new(MetadataAddress, new IssuerMetadataRetriever(), _documents);

    private static TokenValidationParameters Parameters(ConfigurationManager<OpenIdConnectConfiguration> manager) => new()
    {
        ConfigurationManager = manager,
        ValidateAudience = false,
        ValidTypes = ["at+jwt", "JWT"],
    };

    private static async Task<TokenValidationResult> ValidateAsync(string token, ConfigurationManager<OpenIdConnectConfiguration> manager) =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, Parameters(manager));

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task Every_key_of_a_JWKS_mixing_RSA_EC_and_OKP_validates_its_tokens(string algorithm)
    {
        var key = algorithm switch { "EdDSA" => _eddsa, "Ed25519" => _ed25519, "ES256" => _es256, _ => _rs256 };
        var result = await ValidateAsync(key.CreateToken(Claims()), Manager());
        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal("agent", result.ClaimsIdentity.FindFirst("role")?.Value);
        Assert.Equal(key.Kid, result.SecurityToken is JsonWebToken jwt ? jwt.Kid : null);
    }

    [Fact]
    public async Task An_Ed25519_key_verifies_both_alg_names()
    {
        var manager = Manager();
        Assert.True((await ValidateAsync(_eddsa.CreateToken(Claims(), algorithm: "Ed25519"), manager)).IsValid);
        Assert.True((await ValidateAsync(_ed25519.CreateToken(Claims(), algorithm: "EdDSA"), manager)).IsValid);
    }

    [Fact]
    public async Task A_tampered_or_non_canonical_Ed25519_signature_is_refused()
    {
        var manager = Manager();
        string token = _eddsa.CreateToken(Claims());
        int dot = token.LastIndexOf('.');
        byte[] signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));

        byte[] flipped = (byte[])signature.Clone();
        flipped[10] ^= 1;
        var tampered = await ValidateAsync(token[..(dot + 1)] + Base64Url.EncodeToString(flipped), manager);
        Assert.False(tampered.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(tampered.Exception);

        // S + L verifies under a lax check (the same point), never under RFC 8032's strict one.
        var l = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: false) + l;
        byte[] malleated = (byte[])signature.Clone();
        s.TryWriteBytes(malleated.AsSpan(32), out _, isUnsigned: true, isBigEndian: false);
        var nonCanonical = await ValidateAsync(token[..(dot + 1)] + Base64Url.EncodeToString(malleated), manager);
        Assert.False(nonCanonical.IsValid);
    }

    [Fact]
    public void The_RFC_8037_A4_signature_verifies_with_the_A2_public_key()
    {
        const string jws = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        var key = Ed25519SecurityKey.TryCreate(Base64Url.DecodeFromChars("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"), "rfc8037")!;
        var provider = key.CryptoProviderFactory.CreateForVerifying(key, "EdDSA");
        byte[] input = Encoding.ASCII.GetBytes(jws[..jws.LastIndexOf('.')]);
        byte[] signature = Base64Url.DecodeFromChars(jws.AsSpan(jws.LastIndexOf('.') + 1));
        Assert.True(provider.Verify(input, signature));
        input[0] ^= 1;
        Assert.False(provider.Verify(input, signature));
        Assert.False(key.CryptoProviderFactory.IsSupportedAlgorithm("ES256", key));
    }

    [Fact]
    public async Task A_token_for_an_unsupported_published_key_says_which_key_and_why()
    {
        var manager = Manager();
        using var unpublished = IssuerKey.Create("EdDSA");
        string token = unpublished.CreateToken(Claims(), kid: "ed448-1"); // no published key verifies it
        var result = await ValidateAsync(token, manager);
        Assert.False(result.IsValid);
        string? detail = TokenSigningFailure.Describe(new JsonWebToken(token), await manager.GetConfigurationAsync(), Parameters(manager));
        Assert.Equal("The issuer publishes key 'ed448-1' as kty 'OKP' crv 'Ed448', which is not supported.", detail);

        string k1 = _es256.CreateToken(Claims(), kid: "k1-1");
        Assert.Equal("The issuer publishes key 'k1-1' as kty 'EC' crv 'secp256k1', which is not supported.",
            TokenSigningFailure.Describe(new JsonWebToken(k1), await manager.GetConfigurationAsync(), Parameters(manager)));
    }

    [Fact]
    public async Task A_token_with_an_unsupported_alg_says_so()
    {
        var manager = Manager();
        string token = _es256.CreateToken(Claims(), algorithm: "ES256K");
        var result = await ValidateAsync(token, manager);
        Assert.False(result.IsValid);
        string? detail = TokenSigningFailure.Describe(new JsonWebToken(token), await manager.GetConfigurationAsync(), Parameters(manager));
        Assert.StartsWith("The access token is signed with alg 'ES256K', which this API does not support", detail, StringComparison.Ordinal);

        string mismatched = _eddsa.CreateToken(Claims(), kid: "rsa-1");
        Assert.Equal("The access token's alg 'EdDSA' does not fit the issuer's key 'rsa-1' (kty 'RSA').",
            TokenSigningFailure.Describe(new JsonWebToken(mismatched), await manager.GetConfigurationAsync(), Parameters(manager)));

        string hs = IssuerKey.Create("HS256").CreateToken(Claims());
        Assert.Contains("shared-secret algorithm, but this API has no shared secret configured",
            TokenSigningFailure.Describe(new JsonWebToken(hs), await manager.GetConfigurationAsync(), Parameters(manager)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"}""", "not a 32-byte Ed25519 public key")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}""", "private part")]
    [InlineData("""{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", "crv 'X25519'")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", "not a signing key")]
    [InlineData("""{"kty":"OKP","crv":"Ed25519","alg":"ES256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}""", "alg 'ES256'")]
    public void Unusable_OKP_keys_are_not_added_and_are_described(string jwk, string why)
    {
        var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = new JsonWebKeySet($$"""{"keys":[{{jwk}}]}""") };
        IssuerSigningKeys.AddOkpKeys(configuration);
        Assert.Empty(configuration.SigningKeys);
        Assert.Contains(why, IssuerSigningKeys.DescribeUnusable(configuration.JsonWebKeySet.Keys[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_OKP_keys_twice_adds_each_once()
    {
        var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = new JsonWebKeySet($$"""{"keys":[{{_eddsa.PublicJwk().ToJsonString()}}]}""") };
        IssuerSigningKeys.AddOkpKeys(configuration);
        IssuerSigningKeys.AddOkpKeys(configuration);
        Assert.Single(configuration.SigningKeys);
    }

    [Fact]
    public async Task Kid_less_Ed25519_keys_are_each_added_and_each_verifies_its_tokens()
    {
        using var first = IssuerKey.Create("EdDSA");
        using var second = IssuerKey.Create("EdDSA");
        var jwks = new JsonObject { ["keys"] = new JsonArray(first.PublicJwk(), second.PublicJwk()) };
        var configuration = new OpenIdConnectConfiguration { Issuer = Issuer, JsonWebKeySet = new JsonWebKeySet(jwks.ToJsonString()) };
        IssuerSigningKeys.AddOkpKeys(configuration);
        Assert.Equal(2, configuration.SigningKeys.Count);

        var parameters = new TokenValidationParameters
        {
            ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration),
            ValidateAudience = false,
            ValidTypes = ["JWT"],
        };
        foreach (var key in new[] { first, second })
        {
            var result = await new JsonWebTokenHandler().ValidateTokenAsync(key.CreateToken(Claims()), parameters);
            Assert.True(result.IsValid, result.Exception?.Message);
        }
    }

    /// <summary>The issuer's two documents, as its HTTP server would serve them (the integration tests use a real one).</summary>
    private sealed class Documents : IDocumentRetriever
    {
        private string _jwks = "{}";

        public void Publish(params JsonObject[] keys) => _jwks = new JsonObject { ["keys"] = new JsonArray([.. keys]) }.ToJsonString();

        public Task<string> GetDocumentAsync(string address, CancellationToken cancel) => Task.FromResult(address switch
        {
            MetadataAddress => new JsonObject
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = Issuer + "/.well-known/jwks.json",
                ["dpop_signing_alg_values_supported"] = new JsonArray("EdDSA", "ES256"),
            }.ToJsonString(),
            Issuer + "/.well-known/jwks.json" => _jwks,
            _ => throw new IOException("no document at " + address),
        });
    }
}
