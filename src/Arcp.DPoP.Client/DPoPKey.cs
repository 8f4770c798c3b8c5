using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

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
    private readonly Key? _ed25519;
    private readonly HashAlgorithmName _hash;

    private DPoPKey(string algorithm, ECDsa? ecdsa, RSA? rsa, Key? ed25519 = null)
    {
        Algorithm = algorithm;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
        _hash = algorithm[2..] switch { "256" => HashAlgorithmName.SHA256, "384" => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA512 };
        PublicJwk = WriteJwk(includePrivate: false);
        Thumbprint = _ed25519 is not null
            ? JwkThumbprintCore.Compute("OKP", crv: Curve, x: Member(PublicJwk, "x")) // RFC 8037 §2
            : _ecdsa is not null
            ? JwkThumbprintCore.Compute("EC", crv: Curve, x: Member(PublicJwk, "x"), y: Member(PublicJwk, "y"))
            : JwkThumbprintCore.Compute("RSA", e: Member(PublicJwk, "e"), n: Member(PublicJwk, "n"));
    }

    /// <summary>
    /// The algorithms a key can be made for: ES256 (the default), ES384, ES512, EdDSA and Ed25519 (both an Ed25519 key:
    /// proofs name it <c>EdDSA</c>, RFC 8037, which ARCP and most servers accept, or <c>Ed25519</c>, the fully-specified
    /// name of RFC 9864), PS256/384/512, RS256/384/512.
    /// </summary>
    public static IReadOnlyList<string> SupportedAlgorithms { get; } =
        [
            DPoPAlgorithmNames.ES256, DPoPAlgorithmNames.ES384, DPoPAlgorithmNames.ES512,
            DPoPAlgorithmNames.EdDSA, DPoPAlgorithmNames.Ed25519,
            DPoPAlgorithmNames.PS256, DPoPAlgorithmNames.PS384, DPoPAlgorithmNames.PS512,
            DPoPAlgorithmNames.RS256, DPoPAlgorithmNames.RS384, DPoPAlgorithmNames.RS512,
        ];

    // The private key must leave through ExportPrivateJwk, so the library key allows export; nothing else exports it.
    private static KeyCreationParameters Exportable => new() { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };

    /// <summary>The JWS algorithm this key signs proofs with.</summary>
    public string Algorithm { get; }

    /// <summary>The RFC 7638 SHA-256 thumbprint of the public key, base64url: the <c>cnf.jkt</c> tokens are bound to.</summary>
    public string Thumbprint { get; }

    /// <summary>The public key as a JWK (JSON), as it goes into every proof's header.</summary>
    public string PublicJwk { get; }

    private string? Curve => Algorithm switch { DPoPAlgorithmNames.ES256 => "P-256", DPoPAlgorithmNames.ES384 => "P-384", DPoPAlgorithmNames.ES512 => "P-521", DPoPAlgorithmNames.EdDSA or DPoPAlgorithmNames.Ed25519 => "Ed25519", _ => null };

    /// <summary>Generates a new key.</summary>
    /// <param name="algorithm">One of <see cref="SupportedAlgorithms"/>; ES256 by default. RSA keys are 2048 bits.
    /// <c>EdDSA</c> and <c>Ed25519</c> both make an Ed25519 key; the name is the <c>alg</c> its proofs carry.</param>
    public static DPoPKey Generate(string algorithm = DPoPAlgorithmNames.ES256) => algorithm switch
    {
        DPoPAlgorithmNames.EdDSA or DPoPAlgorithmNames.Ed25519 => new(algorithm, null, null, Key.Create(SignatureAlgorithm.Ed25519, Exportable)),
        DPoPAlgorithmNames.ES256 => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
        DPoPAlgorithmNames.ES384 => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP384), null),
        DPoPAlgorithmNames.ES512 => new(algorithm, ECDsa.Create(ECCurve.NamedCurves.nistP521), null),
        DPoPAlgorithmNames.PS256 or DPoPAlgorithmNames.PS384 or DPoPAlgorithmNames.PS512 or DPoPAlgorithmNames.RS256 or DPoPAlgorithmNames.RS384 or DPoPAlgorithmNames.RS512 => new(algorithm, null, RSA.Create(2048)),
        _ => throw new ArgumentException($"'{algorithm}' is not a supported DPoP algorithm; use one of {string.Join(' ', SupportedAlgorithms)}.", nameof(algorithm)),
    };

    /// <summary>Imports a key saved with <see cref="ExportPrivateJwk"/> (or any private EC, RSA or Ed25519 OKP JWK).</summary>
    /// <param name="privateJwk">The JWK, with its private members.</param>
    /// <param name="algorithm">The algorithm; defaults to the JWK's <c>alg</c>, or for EC keys to the curve's, or for
    /// Ed25519 keys to <c>EdDSA</c>.</param>
    /// <exception cref="FormatException">The JSON is not a private EC, RSA or Ed25519 JWK.</exception>
    public static DPoPKey ImportPrivateJwk(string privateJwk, string? algorithm = null)
    {
        ArgumentNullException.ThrowIfNull(privateJwk);
        try
        {
            using var document = JsonDocument.Parse(privateJwk);
            var jwk = document.RootElement;
            string kty = Required(jwk, "kty");
            algorithm ??= jwk.TryGetProperty("alg", out var alg) ? (alg.ValueKind == JsonValueKind.String ? alg.GetString() : throw new FormatException("The JWK member 'alg' must be a string.")) : null;
            if (kty == "EC")
            {
                string crv = Required(jwk, "crv");
                algorithm ??= crv switch { "P-256" => DPoPAlgorithmNames.ES256, "P-384" => DPoPAlgorithmNames.ES384, "P-521" => DPoPAlgorithmNames.ES512, _ => null };
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

            if (kty == "OKP")
            {
                return ImportEd25519(jwk, algorithm ?? DPoPAlgorithmNames.EdDSA);
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
                return Checked(algorithm ?? DPoPAlgorithmNames.PS256, null, rsa);
            }

            throw new FormatException($"JWK key type '{kty}' is not supported; use EC, RSA or OKP (Ed25519).");
        }
        catch (JsonException)
        {
            throw new FormatException("The JWK is not valid JSON.");
        }
        catch (InvalidOperationException)
        {
            // Not an object, a member of the wrong JSON type, or a string that is not UTF-16 (a lone surrogate escape).
            throw new FormatException("The JWK is not a JSON object of string members.");
        }
        catch (CryptographicException)
        {
            throw new FormatException("The JWK is not a valid private key.");
        }

        static DPoPKey Checked(string? algorithm, ECDsa? ecdsa, RSA? rsa)
        {
            bool fits = algorithm is not null && SupportedAlgorithms.Contains(algorithm) && !IsEd25519(algorithm) &&
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

    private static DPoPKey ImportEd25519(JsonElement jwk, string algorithm)
    {
        string crv = Required(jwk, "crv");
        if (crv != "Ed25519")
        {
            throw new FormatException($"OKP curve '{crv}' is not supported; only Ed25519 keys sign DPoP proofs here.");
        }

        if (!IsEd25519(algorithm))
        {
            throw new FormatException($"Algorithm '{algorithm}' does not fit this key; an Ed25519 key signs as EdDSA or Ed25519.");
        }

        byte[] seed = Bytes(jwk, "d");
        byte[] x = Bytes(jwk, "x");
        try
        {
            if (seed.Length != 32 || x.Length != 32)
            {
                throw new FormatException("An Ed25519 JWK has a 32-byte 'd' and a 32-byte 'x' (RFC 8037 §2).");
            }

            var key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, Exportable);
            if (!CryptographicOperations.FixedTimeEquals(key.PublicKey.Export(KeyBlobFormat.RawPublicKey), x))
            {
                key.Dispose();
                throw new FormatException("The JWK's 'x' is not the public key of its 'd'.");
            }

            return new DPoPKey(algorithm, null, null, key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static bool IsEd25519(string algorithm) => algorithm is DPoPAlgorithmNames.EdDSA or DPoPAlgorithmNames.Ed25519;

    /// <summary>Exports the key pair, private members included, as a JWK to store somewhere safe.</summary>
    public string ExportPrivateJwk() => WriteJwk(includePrivate: true);

    /// <summary>Signs a JWS signing input: R || S for ECDSA and Ed25519 (RFC 8032), PKCS#1 v1.5 or PSS for RSA.</summary>
    internal byte[] Sign(ReadOnlySpan<byte> data)
    {
        if (_ed25519 is not null)
        {
            return SignatureAlgorithm.Ed25519.Sign(_ed25519, data);
        }

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
        _ed25519?.Dispose();
    }

    private string WriteJwk(bool includePrivate)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            if (_ed25519 is not null)
            {
                // RFC 8037 §2: kty OKP, crv Ed25519, x the public key; d (the 32-byte seed) only in the private export.
                writer.WriteString("kty", "OKP");
                writer.WriteString("crv", Curve);
                writer.WriteString("x", Base64Url.EncodeToString(_ed25519.PublicKey.Export(KeyBlobFormat.RawPublicKey)));
                if (includePrivate)
                {
                    byte[] seed = _ed25519.Export(KeyBlobFormat.RawPrivateKey);
                    writer.WriteString("d", Base64Url.EncodeToString(seed));
                    CryptographicOperations.ZeroMemory(seed);
                }
            }
            else if (_ecdsa is not null)
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
