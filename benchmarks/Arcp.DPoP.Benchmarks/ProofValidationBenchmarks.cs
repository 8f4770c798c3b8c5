using System.Text;
using Arcp.DPoP;
using Arcp.DPoP.Testing;
using BenchmarkDotNet.Attributes;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// Proof validation against the one cost it cannot avoid: verifying the proof's signature.
/// Compare the ratios within one run; absolute times vary between machines.
/// </summary>
[MemoryDiagnoser]
public class ProofValidationBenchmarks
{
    private const string Uri = "https://api.example.com/agents/register";
    private const string Token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl";

    private TestKey _key = null!;
    private DPoPProofValidator _validator = null!;
    private string _proof = null!;
    private byte[] _signingInput = null!;
    private byte[] _signature = null!;

    [Params("EdDSA", "ES256", "PS256", "RS256")]
    public string Algorithm { get; set; } = "ES256";

    [GlobalSetup]
    public void Setup()
    {
        _key = TestKey.Create(Algorithm);
        var options = new DPoPOptions { ProofLifetime = TimeSpan.FromMinutes(10) };
        _validator = new DPoPProofValidator(options);
        _proof = new ProofBuilder(_key, "POST", Uri).ForToken(Token).Build();
        int lastDot = _proof.LastIndexOf('.');
        _signingInput = Encoding.ASCII.GetBytes(_proof[..lastDot]);
        _signature = System.Buffers.Text.Base64Url.DecodeFromChars(_proof.AsSpan(lastDot + 1));
        if (!_validator.Validate(_proof, "POST", Uri, Token).IsValid)
        {
            throw new InvalidOperationException("The benchmark proof does not validate.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
    }

    /// <summary>The bare signature verification with an already imported key.</summary>
    [Benchmark(Baseline = true)]
    public bool BareVerify() => _key.Verify(_signingInput, _signature);

    /// <summary>Everything the validator does: parse, every claim check, key import, signature, thumbprint.</summary>
    [Benchmark]
    public string ValidateProof() => _validator.Validate(_proof, "POST", Uri, Token).Proof!.Jkt;
}
