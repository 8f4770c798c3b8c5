using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NSec.Cryptography;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// The Ed25519 candidates side by side: one signature over a DPoP-proof-sized message, verified by NSec (libsodium)
/// and by BouncyCastle, each with its key already imported, as the validator's header cache keeps it.
/// </summary>
[MemoryDiagnoser]
public class Ed25519LibraryBenchmarks
{
    private byte[] _message = null!;
    private byte[] _signature = null!;
    private PublicKey _nsecKey = null!;
    private byte[] _rawKey = null!;
    private BcEd25519.PublicPoint _bcKey = null!;

    [GlobalSetup]
    public void Setup()
    {
        // About the signing input of a real proof: header with jwk, payload with jti, htm, htu, iat, ath.
        _message = RandomNumberGenerator.GetBytes(420);
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        _signature = SignatureAlgorithm.Ed25519.Sign(key, _message);
        _rawKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        _nsecKey = PublicKey.Import(SignatureAlgorithm.Ed25519, _rawKey, KeyBlobFormat.RawPublicKey);
        _bcKey = BcEd25519.ValidatePublicKeyPartialExport(_rawKey)
            ?? throw new InvalidOperationException("BouncyCastle refused the key.");
        if (!NSecVerify() || !BouncyCastleVerify() || !BouncyCastleVerifyRawKey())
        {
            throw new InvalidOperationException("A library does not verify the benchmark signature.");
        }
    }

    /// <summary>NSec.Cryptography 26.4.0 (libsodium's crypto_sign_verify_detached).</summary>
    [Benchmark(Baseline = true)]
    public bool NSecVerify() => SignatureAlgorithm.Ed25519.Verify(_nsecKey, _message, _signature);

    /// <summary>BouncyCastle.Cryptography 2.7.0, with the public point decoded once.</summary>
    [Benchmark]
    public bool BouncyCastleVerify() => BcEd25519.Verify(_signature, _bcKey, _message);

    /// <summary>BouncyCastle.Cryptography 2.7.0 from the raw 32-byte key (decoded on every call).</summary>
    [Benchmark]
    public bool BouncyCastleVerifyRawKey() => BcEd25519.Verify(_signature, _rawKey, _message);
}
