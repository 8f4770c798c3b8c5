using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Arcp.DPoP;
using NSec.Cryptography;

namespace Arcp.DPoP.Testing;

/// <summary>A proof-signing key pair for tests, for every algorithm the server accepts.</summary>
public sealed class TestKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly Key? _ed25519;

    private TestKey(string algorithm, ECDsa? ecdsa, RSA? rsa, Key? ed25519 = null)
    {
        Algorithm = algorithm;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
    }

    private static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    public string Algorithm { get; }

    public static TestKey Create(string algorithm = "ES256", int rsaBits = 2048) => algorithm switch
    {
        "ES256" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
        "ES384" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP384), null),
        "ES512" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP521), null),
        "EdDSA" or "Ed25519" => new(algorithm, null, null, Key.Create(SignatureAlgorithm.Ed25519, Exportable)),
        _ => new(algorithm, null, RSA.Create(rsaBits)),
    };

    /// <summary>An Ed25519 key from its 32-byte private seed (RFC 8032 §5.1.5), e.g. the RFC 8037 A.1 key.</summary>
    public static TestKey FromEd25519Seed(byte[] seed, string algorithm = "EdDSA") =>
        new(algorithm, null, null, Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, Exportable));

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public byte[] Ed25519PublicKey => _ed25519!.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    /// <summary>The public JWK, members in an arbitrary (non-canonical) order.</summary>
    public JsonObject PublicJwk()
    {
        if (_ed25519 is not null)
        {
            return new JsonObject
            {
                ["x"] = Base64Url.EncodeToString(Ed25519PublicKey),
                ["crv"] = "Ed25519",
                ["kty"] = "OKP",
            };
        }

        if (_ecdsa is not null)
        {
            var p = _ecdsa.ExportParameters(false);
            return new JsonObject
            {
                ["kty"] = "EC",
                ["x"] = Base64Url.EncodeToString(p.Q.X),
                ["y"] = Base64Url.EncodeToString(p.Q.Y),
                ["crv"] = Algorithm switch { "ES256" => "P-256", "ES384" => "P-384", _ => "P-521" },
            };
        }

        var r = _rsa!.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["n"] = Base64Url.EncodeToString(r.Modulus),
            ["e"] = Base64Url.EncodeToString(r.Exponent),
        };
    }

    /// <summary>The JWK with its private members: what a careless client might send.</summary>
    public JsonObject PrivateJwk()
    {
        var jwk = PublicJwk();
        if (_ed25519 is not null)
        {
            jwk["d"] = Base64Url.EncodeToString(_ed25519.Export(KeyBlobFormat.RawPrivateKey));
        }
        else if (_ecdsa is not null)
        {
            jwk["d"] = Base64Url.EncodeToString(_ecdsa.ExportParameters(true).D);
        }
        else
        {
            var r = _rsa!.ExportParameters(true);
            jwk["d"] = Base64Url.EncodeToString(r.D);
            jwk["p"] = Base64Url.EncodeToString(r.P);
            jwk["q"] = Base64Url.EncodeToString(r.Q);
        }

        return jwk;
    }

    public string Jkt => JwkThumbprint.Compute(PublicJwk().ToJsonString());

    public byte[] Sign(byte[] input, string? algorithm = null)
    {
        algorithm ??= Algorithm;
        if (_ed25519 is not null)
        {
            return SignatureAlgorithm.Ed25519.Sign(_ed25519, input);
        }

        var hash = algorithm[2..] switch { "256" => HashAlgorithmName.SHA256, "384" => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(input, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return _rsa!.SignData(input, hash, algorithm.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    public bool Verify(byte[] input, byte[] signature)
    {
        if (_ed25519 is not null)
        {
            return SignatureAlgorithm.Ed25519.Verify(_ed25519.PublicKey, input, signature);
        }

        var hash = Algorithm[2..] switch { "256" => HashAlgorithmName.SHA256, "384" => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        if (_ecdsa is not null)
        {
            return _ecdsa.VerifyData(input, signature, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return _rsa!.VerifyData(input, signature, hash, Algorithm.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
        _ed25519?.Dispose();
    }
}
