using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Arcp.DPoP;

namespace Arcp.DPoP.Testing;

/// <summary>A proof-signing key pair for tests, for every algorithm the server accepts.</summary>
public sealed class TestKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;

    private TestKey(string algorithm, ECDsa? ecdsa, RSA? rsa)
    {
        Algorithm = algorithm;
        _ecdsa = ecdsa;
        _rsa = rsa;
    }

    public string Algorithm { get; }

    public static TestKey Create(string algorithm = "ES256", int rsaBits = 2048) => algorithm switch
    {
        "ES256" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
        "ES384" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP384), null),
        "ES512" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP521), null),
        _ => new(algorithm, null, RSA.Create(rsaBits)),
    };

    /// <summary>The public JWK, members in an arbitrary (non-canonical) order.</summary>
    public JsonObject PublicJwk()
    {
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
        if (_ecdsa is not null)
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
        var hash = algorithm[2..] switch { "256" => HashAlgorithmName.SHA256, "384" => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(input, hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return _rsa!.SignData(input, hash, algorithm.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    public bool Verify(byte[] input, byte[] signature)
    {
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
    }
}
