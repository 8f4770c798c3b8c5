using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// The asymmetric JWS algorithms (RFC 7518 §3) a DPoP proof may be signed with on this platform.
/// </summary>
internal sealed class DPoPAlgorithm
{
    private DPoPAlgorithm(string name, string keyType, HashAlgorithmName hash, string? curve = null, int coordinateSize = 0, RSASignaturePadding? padding = null)
    {
        Name = name;
        KeyType = keyType;
        Hash = hash;
        Curve = curve;
        CoordinateSize = coordinateSize;
        Padding = padding;
    }

    public string Name { get; }

    public string KeyType { get; }

    public HashAlgorithmName Hash { get; }

    /// <summary>The JWK <c>crv</c> for EC algorithms (RFC 7518 §3.4) and EdDSA (RFC 8037 §2).</summary>
    public string? Curve { get; }

    /// <summary>Bytes of one EC coordinate, or of an Ed25519 public key; the JWS signature is R || S, twice this.</summary>
    public int CoordinateSize { get; }

    public RSASignaturePadding? Padding { get; }

    /// <summary>Whether this is an Edwards-curve algorithm (RFC 8037 <c>EdDSA</c>, RFC 9864 <c>Ed25519</c>): <c>kty</c> OKP.</summary>
    public bool IsEdDsa => KeyType == "OKP";

    public static IReadOnlyList<DPoPAlgorithm> All { get; } =
    [
        // RFC 8037 §3.1 "EdDSA" (the curve comes from the key) and RFC 9864 §2.2 "Ed25519" (fully specified) sign
        // the same way with the same keys; only Ed25519 is supported (Ed448 is not), so both pin crv Ed25519.
        new(DPoPAlgorithmNames.EdDSA, "OKP", default, "Ed25519", 32),
        new(DPoPAlgorithmNames.Ed25519, "OKP", default, "Ed25519", 32),
        new(DPoPAlgorithmNames.ES256, "EC", HashAlgorithmName.SHA256, "P-256", 32),
        new(DPoPAlgorithmNames.ES384, "EC", HashAlgorithmName.SHA384, "P-384", 48),
        new(DPoPAlgorithmNames.ES512, "EC", HashAlgorithmName.SHA512, "P-521", 66),
        new(DPoPAlgorithmNames.PS256, "RSA", HashAlgorithmName.SHA256, padding: RSASignaturePadding.Pss),
        new(DPoPAlgorithmNames.PS384, "RSA", HashAlgorithmName.SHA384, padding: RSASignaturePadding.Pss),
        new(DPoPAlgorithmNames.PS512, "RSA", HashAlgorithmName.SHA512, padding: RSASignaturePadding.Pss),
        new(DPoPAlgorithmNames.RS256, "RSA", HashAlgorithmName.SHA256, padding: RSASignaturePadding.Pkcs1),
        new(DPoPAlgorithmNames.RS384, "RSA", HashAlgorithmName.SHA384, padding: RSASignaturePadding.Pkcs1),
        new(DPoPAlgorithmNames.RS512, "RSA", HashAlgorithmName.SHA512, padding: RSASignaturePadding.Pkcs1),
    ];

    public static DPoPAlgorithm? Find(string name)
    {
        foreach (var algorithm in All)
        {
            if (string.Equals(algorithm.Name, name, StringComparison.Ordinal))
            {
                return algorithm;
            }
        }

        return null;
    }

    public static ECCurve CurveFor(string crv) => crv switch
    {
        "P-256" => ECCurve.NamedCurves.nistP256,
        "P-384" => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };
}
