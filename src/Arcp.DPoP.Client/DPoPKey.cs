using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// The key pair an agent proves possession of: it signs DPoP proofs, and its RFC 7638 <see cref="Thumbprint"/> is what
/// access tokens are bound to (<c>cnf.jkt</c>).
/// </summary>
/// <remarks>
/// The private key leaves this object only through <see cref="ExportPrivateJwk"/>: no property, <see cref="ToString"/>
/// or serializer sees it. Dispose the key when the session ends.
/// </remarks>
public sealed class DPoPKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly HashAlgorithmName _hash;

    private DPoPKey(string algorithm, ECDsa? ecdsa, RSA? rsa)
    {
        Algorithm = algorithm;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _hash = algorithm[2..] switch { "256" => HashAlgorithmName.SHA256, "384" => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        PublicJwk = WriteJwk(includePrivate: false);
        Thumbprint = _ecdsa is not null
            ? JwkThumbprintCore.Compute("EC", crv: Curve, x: Member(PublicJwk, "x"), y: Member(PublicJwk, "y"))
            : JwkThumbprintCore.Compute("RSA", e: Member(PublicJwk, "e"), n: Member(PublicJwk, "n"));
    }

    /// <summary>The algorithms a key can be made for: ES256 (the default), ES384, ES512, PS256/384/512, RS256/384/512.</summary>
    public static IReadOnlyList<string> SupportedAlgorithms { get; } =
        ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"];

    /// <summary>The JWS algorithm this key signs proofs with.</summary>
    public string Algorithm { get; }

    /// <summary>The RFC 7638 SHA-256 thumbprint of the public key, base64url: the <c>cnf.jkt</c> tokens are bound to.</summary>
    public string Thumbprint { get; }

    /// <summary>The public key as a JWK (JSON), as it goes into every proof's header.</summary>
    public string PublicJwk { get; }

    private string? Curve => Algorithm switch { "ES256" => "P-256", "ES384" => "P-384", "ES512" => "P-521", _ => null };

    /// <summary>Generates a new key.</summary>
    /// <param name="algorithm">One of <see cref="SupportedAlgorithms"/>; ES256 by default. RSA keys are 2048 bits.</param>
    public static DPoPKey Generate(string algorithm = "ES256") => algorithm switch
    {
        "ES256" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
        "ES384" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP384), null),
        "ES512" => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP521), null),
        "PS256" or "PS384" or "PS512" or "RS256" or "RS384" or "RS512" => new(algorithm, null, RSA.Create(2048)),
        _ => throw new ArgumentException($"'{algorithm}' is not a supported DPoP algorithm; use one of {string.Join(' ', SupportedAlgorithms)}.", nameof(algorithm)),
    };

    /// <summary>Imports a key saved with <see cref="ExportPrivateJwk"/> (or any private EC/RSA JWK).</summary>
    /// <param name="privateJwk">The JWK, with its private members.</param>
    /// <param name="algorithm">The algorithm; defaults to the JWK's <c>alg</c>, or for EC keys to the curve's.</param>
    /// <exception cref="FormatException">The JSON is not a private EC or RSA JWK.</exception>
    public static DPoPKey ImportPrivateJwk(string privateJwk, string? algorithm = null)
    {
        ArgumentNullException.ThrowIfNull(privateJwk);
        try
        {
            using var document = JsonDocument.Parse(privateJwk);
            var jwk = document.RootElement;
            string kty = Required(jwk, "kty");
            algorithm ??= jwk.TryGetProperty("alg", out var alg) ? alg.GetString() : null;
            if (kty == "EC")
            {
                string crv = Required(jwk, "crv");
                algorithm ??= crv switch { "P-256" => "ES256", "P-384" => "ES384", "P-521" => "ES512", _ => null };
                var curve = crv switch
                {
                    "P-256" => ECCurve.NamedCurves.nistP256,
                    "P-384" => ECCurve.NamedCurves.nistP384,
                    "P-521" => ECCurve.NamedCurves.nistP521,
                    _ => throw new FormatException($"EC curve '{crv}' is not supported."),
                };
                var ecdsa = ECDsa.Create(new ECParameters
                {
                    Curve = curve,
                    D = Bytes(jwk, "d"),
                    Q = new ECPoint { X = Bytes(jwk, "x"), Y = Bytes(jwk, "y") },
                });
                return Checked(algorithm, ecdsa, null);
            }

            if (kty == "RSA")
            {
                var rsa = RSA.Create();
                rsa.ImportParameters(new RSAParameters
                {
                    Modulus = Bytes(jwk, "n"),
                    Exponent = Bytes(jwk, "e"),
                    D = Bytes(jwk, "d"),
                    P = Bytes(jwk, "p"),
                    Q = Bytes(jwk, "q"),
                    DP = Bytes(jwk, "dp"),
                    DQ = Bytes(jwk, "dq"),
                    InverseQ = Bytes(jwk, "qi"),
                });
                return Checked(algorithm ?? "PS256", null, rsa);
            }

            throw new FormatException($"JWK key type '{kty}' is not supported; use EC or RSA.");
        }
        catch (JsonException)
        {
            throw new FormatException("The JWK is not valid JSON.");
        }
        catch (CryptographicException)
        {
            throw new FormatException("The JWK is not a valid private key.");
        }

        static DPoPKey Checked(string? algorithm, ECDsa? ecdsa, RSA? rsa)
        {
            bool fits = algorithm is not null && SupportedAlgorithms.Contains(algorithm) &&
                (ecdsa is not null ? algorithm.StartsWith("ES", StringComparison.Ordinal) : !algorithm.StartsWith("ES", StringComparison.Ordinal));
            if (!fits)
            {
                ecdsa?.Dispose();
                rsa?.Dispose();
                throw new FormatException($"Algorithm '{algorithm}' does not fit this key.");
            }

            return new DPoPKey(algorithm!, ecdsa, rsa);
        }
    }

    /// <summary>Exports the key pair, private members included, as a JWK to store somewhere safe.</summary>
    public string ExportPrivateJwk() => WriteJwk(includePrivate: true);

    /// <summary>Signs a JWS signing input: R || S for ECDSA, PKCS#1 v1.5 or PSS for RSA.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> data)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(data, _hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        return _rsa!.SignData(data.ToArray(), _hash, Algorithm.StartsWith("PS", StringComparison.Ordinal) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
    }

    /// <summary>The algorithm and thumbprint; never the key material.</summary>
    public override string ToString() => $"DPoPKey {Algorithm} {Thumbprint}";

    /// <inheritdoc />
    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }

    private string WriteJwk(bool includePrivate)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            if (_ecdsa is not null)
            {
                var p = _ecdsa.ExportParameters(includePrivate);
                writer.WriteString("kty", "EC");
                writer.WriteString("crv", Curve);
                writer.WriteString("x", Base64Url.EncodeToString(p.Q.X));
                writer.WriteString("y", Base64Url.EncodeToString(p.Q.Y));
                if (includePrivate)
                {
                    writer.WriteString("d", Base64Url.EncodeToString(p.D));
                }
            }
            else
            {
                var p = _rsa!.ExportParameters(includePrivate);
                writer.WriteString("kty", "RSA");
                writer.WriteString("n", Base64Url.EncodeToString(p.Modulus));
                writer.WriteString("e", Base64Url.EncodeToString(p.Exponent));
                if (includePrivate)
                {
                    writer.WriteString("d", Base64Url.EncodeToString(p.D));
                    writer.WriteString("p", Base64Url.EncodeToString(p.P));
                    writer.WriteString("q", Base64Url.EncodeToString(p.Q));
                    writer.WriteString("dp", Base64Url.EncodeToString(p.DP));
                    writer.WriteString("dq", Base64Url.EncodeToString(p.DQ));
                    writer.WriteString("qi", Base64Url.EncodeToString(p.InverseQ));
                }
            }

            if (includePrivate)
            {
                writer.WriteString("alg", Algorithm);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Member(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty(name).GetString()!;
    }

    private static string Required(JsonElement jwk, string name) =>
        jwk.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"The JWK has no string member '{name}'.");

    private static byte[] Bytes(JsonElement jwk, string name)
    {
        string value = Required(jwk, name);
        try
        {
            return Base64Url.DecodeFromChars(value);
        }
        catch (FormatException)
        {
            throw new FormatException($"The JWK member '{name}' is not base64url.");
        }
    }
}
