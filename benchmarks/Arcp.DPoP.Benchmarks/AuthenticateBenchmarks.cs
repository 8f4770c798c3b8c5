using System.Security.Cryptography;
using System.Text;
using Arcp.DPoP.Testing;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// A whole server-side authenticate of one request, as the authentication middleware runs it: an ES256 access token,
/// an ES256 proof (a new one every time, so the in-memory replay cache records each), thumbprint and binding —
/// against the two bare ECDSA P-256 verifications it cannot avoid. With <see cref="CacheValidatedTokens"/>, the
/// token's verification is paid once and every request still validates its proof in full.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 8192)] // 13 x 8192 < ProofCount fresh proofs
public class AuthenticateBenchmarks
{
    private const string Uri = "https://api.example.com/agents/register";
    private ServiceProvider _services = null!;
    private ECDsa _issuerKey = null!;
    private TestKey _agentKey = null!;
    private string _token = null!;
    private string _authorization = null!;
    private string[] _proofs = [];
    private int _next;
    private ECDsa _issuerVerifier = null!;
    private ECDsa _agentVerifier = null!;
    private byte[] _tokenInput = null!;
    private byte[] _tokenSignature = null!;
    private byte[] _proofInput = null!;
    private byte[] _proofSignature = null!;

    [Params(false, true)]
    public bool CacheValidatedTokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _agentKey = TestKey.Create("ES256");
        var signingKey = new ECDsaSecurityKey(_issuerKey) { KeyId = "issuer-1" };
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddLogging();
        services.AddAuthentication().AddDPoP(o =>
        {
            o.Audience = "arcp-api";
            o.TokenValidationParameters.ValidIssuer = "https://issuer.example";
            o.TokenValidationParameters.IssuerSigningKey = signingKey;
            o.ProofLifetime = TimeSpan.FromMinutes(10);
            o.CacheValidatedTokens = CacheValidatedTokens;
            o.TrustHostHeader = true; // the benchmark makes its own requests; no client chooses the Host
        });
        _services = services.BuildServiceProvider();
        _token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.example",
            Audience = "arcp-api",
            Expires = DateTime.UtcNow.AddHours(1),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "agent-7",
                ["scope"] = "agents:register",
                ["cnf"] = new Dictionary<string, object> { ["jkt"] = _agentKey.Jkt },
            },
            SigningCredentials = new SigningCredentials(signingKey, SecurityAlgorithms.EcdsaSha256),
        });

        _authorization = "DPoP " + _token;

        // The baseline: the two signatures with already imported keys.
        _issuerVerifier = ECDsa.Create(_issuerKey.ExportParameters(false));
        (_tokenInput, _tokenSignature) = Split(_token);
        string proof = new ProofBuilder(_agentKey, "POST", Uri).ForToken(_token).Build();
        (_proofInput, _proofSignature) = Split(proof);
        _agentVerifier = ECDsa.Create(ImportAgentPublicKey());

        // Replay detection stays on: every invocation gets a proof never used before (made here, outside the measurement).
        _proofs = new string[ProofCount];
        Parallel.For(0, ProofCount, i => _proofs[i] = new ProofBuilder(_agentKey, "POST", Uri).ForToken(_token).Build());

        foreach (string check in new[] { proof, new ProofBuilder(_agentKey, "POST", Uri).ForToken(_token).Build() })
        {
            var result = AuthenticateCore(check).GetAwaiter().GetResult();
            if (!result.Succeeded)
            {
                throw new InvalidOperationException("The benchmark request does not authenticate: " + result.Failure?.Message);
            }
        }
    }

    /// <summary>How many distinct proofs are made up front: replay detection stays on, so none may be used twice.</summary>
    private const int ProofCount = 150_000;

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _issuerKey.Dispose();
        _agentKey.Dispose();
        _issuerVerifier.Dispose();
        _agentVerifier.Dispose();
    }

    /// <summary>Two bare ECDSA P-256 verifications: the token's and the proof's.</summary>
    [Benchmark(Baseline = true)]
    public bool TwoBareVerifies() =>
        _issuerVerifier.VerifyData(_tokenInput, _tokenSignature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation) &
        _agentVerifier.VerifyData(_proofInput, _proofSignature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <summary>The handler's whole authenticate: token, proof, binding, replay add, principal.</summary>
    [Benchmark]
    public Task<AuthenticateResult> Authenticate() =>
        _next < ProofCount ? AuthenticateCore(_proofs[_next++]) : throw new InvalidOperationException("Out of fresh proofs: raise ProofCount.");

    /// <summary>What the token alone costs in Microsoft.IdentityModel (what plain JwtBearer pays too).</summary>
    [Benchmark]
    public async Task<bool> TokenOnly()
    {
        var options = _services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
        var result = await options.TokenHandler.ValidateTokenAsync(_token, options.TokenValidationParameters);
        return result.IsValid;
    }

    /// <summary>The request plumbing alone: a scope, a handler, and a request with no credentials.</summary>
    [Benchmark]
    public Task<AuthenticateResult> NoCredentials() => AuthenticateCore(null);

    private async Task<AuthenticateResult> AuthenticateCore(string? proof)
    {
        // A request scope, as the host makes one per request (handlers are per request).
        await using var scope = _services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var request = context.Request;
        request.Method = "POST";
        request.Scheme = "https";
        request.Host = new HostString("api.example.com");
        request.Path = "/agents/register";
        if (proof is not null)
        {
            // The agent sends the same Authorization header with every request of its session, and Kestrel reuses the
            // string of a header whose bytes are those of the previous request on the connection
            // (KestrelServerOptions.DisableStringReuse, false by default): no new string per request, as here. The DPoP
            // header is new every time, and so is its string.
            request.Headers.Authorization = _authorization;
            request.Headers["DPoP"] = proof;
        }
        var handlers = scope.ServiceProvider.GetRequiredService<IAuthenticationHandlerProvider>();
        var handler = await handlers.GetHandlerAsync(context, DPoPDefaults.AuthenticationScheme);
        return await handler!.AuthenticateAsync();
    }

    private static (byte[] Input, byte[] Signature) Split(string jws)
    {
        int last = jws.LastIndexOf('.');
        return (Encoding.ASCII.GetBytes(jws[..last]), System.Buffers.Text.Base64Url.DecodeFromChars(jws.AsSpan(last + 1)));
    }

    private ECParameters ImportAgentPublicKey()
    {
        var jwk = _agentKey.PublicJwk();
        return new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint
            {
                X = System.Buffers.Text.Base64Url.DecodeFromChars((string)jwk["x"]!),
                Y = System.Buffers.Text.Base64Url.DecodeFromChars((string)jwk["y"]!),
            },
        };
    }
}
