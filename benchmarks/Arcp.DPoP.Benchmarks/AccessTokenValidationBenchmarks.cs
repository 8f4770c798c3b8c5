using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// One access token validated by the scheme's JsonWebTokenHandler against the issuer's JWKS (signature, issuer,
/// audience, lifetime, claims identity), per signing algorithm — EdDSA keys come in through Arcp.DPoP's Ed25519
/// security key — against a bare verification of the same signature with the same library.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class AccessTokenValidationBenchmarks
{
    private ServiceProvider _services = null!;
    private DPoPOptions _options = null!;
    private IssuerKey _key = null!;
    private string _token = null!;
    private byte[] _input = null!;
    private byte[] _signature = null!;
    private Func<byte[], byte[], bool> _bareVerify = null!;

    [Params("EdDSA", "ES256", "RS256")]
    public string Algorithm { get; set; } = "EdDSA";

    [GlobalSetup]
    public void Setup()
    {
        _key = IssuerKey.Create(Algorithm, "issuer-key-1");
        var jwk = _key.PublicJwk();
        var configuration = new OpenIdConnectConfiguration
        {
            Issuer = "https://issuer.example",
            JsonWebKeySet = new JsonWebKeySet(new JsonObject { ["keys"] = new JsonArray(jwk.DeepClone()) }.ToJsonString()),
        };
        foreach (var key in configuration.JsonWebKeySet.GetSigningKeys())
        {
            configuration.SigningKeys.Add(key);
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddAuthentication().AddDPoP(o =>
        {
            o.Audience = "arcp-api";
            o.TokenValidationParameters.ValidAudience = "arcp-api";
            o.Configuration = configuration; // the Ed25519 key is added to it the way a metadata refresh adds it
            o.TokenValidationParameters.ConfigurationManager = new Microsoft.IdentityModel.Protocols.StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
        });
        _services = services.BuildServiceProvider();
        _options = _services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);

        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        _token = _key.CreateToken(new JsonObject
        {
            ["sub"] = "user-7",
            ["agent_id"] = "agent-7",
            ["scopes"] = new JsonArray("agents:register"),
            ["role"] = "agent",
            ["iat"] = now,
            ["exp"] = now + 3600,
            ["iss"] = "https://issuer.example",
            ["aud"] = "arcp-api",
            ["cnf"] = new JsonObject { ["jkt"] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" },
        });
        int dot = _token.LastIndexOf('.');
        _input = Encoding.ASCII.GetBytes(_token[..dot]);
        _signature = Base64Url.DecodeFromChars(_token.AsSpan(dot + 1));
        _bareVerify = BareVerifier(jwk);

        if (!TokenValidation().GetAwaiter().GetResult() || !BareVerify())
        {
            throw new InvalidOperationException("The benchmark token does not validate.");
        }
    }

    private static Func<byte[], byte[], bool> BareVerifier(JsonObject jwk)
    {
        byte[] B(string name) => Base64Url.DecodeFromChars((string)jwk[name]!);
        switch ((string)jwk["kty"]!)
        {
            case "OKP":
                var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, B("x"), KeyBlobFormat.RawPublicKey);
                return (input, signature) => SignatureAlgorithm.Ed25519.Verify(publicKey, input, signature);
            case "EC":
                var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = B("x"), Y = B("y") } });
                return (input, signature) => ecdsa.VerifyData(input, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            default:
                var rsa = RSA.Create(new RSAParameters { Modulus = B("n"), Exponent = B("e") });
                return (input, signature) => rsa.VerifyData(input, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _key.Dispose();
    }

    /// <summary>One bare signature verification with an imported key: the floor.</summary>
    [Benchmark(Baseline = true)]
    public bool BareVerify() => _bareVerify(_input, _signature);

    /// <summary>The scheme's token validation: key lookup by kid, signature, issuer, audience, lifetime, identity.</summary>
    [Benchmark]
    public async Task<bool> TokenValidation()
    {
        var result = await _options.TokenHandler.ValidateTokenAsync(_token, _options.TokenValidationParameters);
        return result.IsValid;
    }
}
