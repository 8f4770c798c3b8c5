using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Arcp.DPoP.Testing;

/// <summary>
/// A token issuer's signing key for tests: Ed25519 (signed with NSec, named EdDSA or Ed25519), ES256, RS256, or an
/// HS256 shared secret. Signs compact JWS from JSON it is given, so tests control every header and claim.
/// </summary>
public sealed class IssuerKey : IDisposable
{
    private readonly Key? _ed25519;
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly byte[]? _secret;

    private IssuerKey(string algorithm, string? kid, Key? ed25519 = null, ECDsa? ecdsa = null, RSA? rsa = null, byte[]? secret = null)
    {
        Algorithm = algorithm;
        Kid = kid;
        _ed25519 = ed25519;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _secret = secret;
    }

    /// <summary>The JWS alg the key signs with.</summary>
    public string Algorithm { get; }

    /// <summary>The key id published in the JWKS and put in token headers; null for a shared secret (ARCP puts none).</summary>
    public string? Kid { get; }

    /// <summary>The shared secret (HS256 keys only).</summary>
    public byte[] Secret => _secret ?? throw new InvalidOperationException("not a shared-secret key");

    public static IssuerKey Create(string algorithm, string? kid = null) => algorithm switch
    {
        "EdDSA" or "Ed25519" => new(algorithm, kid, ed25519: Key.Create(SignatureAlgorithm.Ed25519)),
        "ES256" => new(algorithm, kid, ecdsa: ECDsa.Create(ECCurve.NamedCurves.nistP256)),
        "RS256" => new(algorithm, kid, rsa: RSA.Create(2048)),
        "HS256" => new(algorithm, null, secret: RandomNumberGenerator.GetBytes(32)),
        _ => throw new ArgumentException("unsupported test issuer algorithm " + algorithm, nameof(algorithm)),
    };

    /// <summary>The public JWK as an issuer publishes it: kid, use sig, alg.</summary>
    public JsonObject PublicJwk()
    {
        JsonObject jwk;
        if (_ed25519 is not null)
        {
            jwk = new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = Base64Url.EncodeToString(_ed25519.PublicKey.Export(KeyBlobFormat.RawPublicKey)) };
        }
        else if (_ecdsa is not null)
        {
            var p = _ecdsa.ExportParameters(false);
            jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64Url.EncodeToString(p.Q.X), ["y"] = Base64Url.EncodeToString(p.Q.Y) };
        }
        else if (_rsa is not null)
        {
            var p = _rsa.ExportParameters(false);
            jwk = new JsonObject { ["kty"] = "RSA", ["n"] = Base64Url.EncodeToString(p.Modulus), ["e"] = Base64Url.EncodeToString(p.Exponent) };
        }
        else
        {
            throw new InvalidOperationException("a shared secret is never published");
        }

        jwk["kid"] = Kid;
        jwk["use"] = "sig";
        jwk["alg"] = Algorithm;
        return jwk;
    }

    /// <summary>Signs a compact JWS of exactly this header and payload.</summary>
    public string Sign(JsonObject header, JsonObject payload)
    {
        string signingInput = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." +
            Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        byte[] data = Encoding.ASCII.GetBytes(signingInput);
        byte[] signature = _ed25519 is not null ? SignatureAlgorithm.Ed25519.Sign(_ed25519, data)
            : _ecdsa is not null ? _ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            : _rsa is not null ? _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : HMACSHA256.HashData(_secret!, data);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Signs a token with the header an ARCP token service writes: {alg, kid, typ: "JWT"} (no kid for a shared secret).</summary>
    public string CreateToken(JsonObject claims, string? algorithm = null, string? kid = null)
    {
        var header = new JsonObject { ["alg"] = algorithm ?? Algorithm };
        if ((kid ?? Kid) is { } headerKid)
        {
            header["kid"] = headerKid;
        }

        header["typ"] = "JWT";
        return Sign(header, claims);
    }

    public void Dispose()
    {
        _ed25519?.Dispose();
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }
}
