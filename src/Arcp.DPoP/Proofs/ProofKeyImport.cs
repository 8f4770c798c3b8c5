using System.Buffers.Text;
using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Step 7, the key: a checked EC or RSA <c>jwk</c> imported into a platform key. The platform refuses a point that is
/// not on the curve (invalid-curve attacks) and an unusable modulus; both are failures, never exceptions. Ed25519 keys
/// are imported by <see cref="Ed25519Verifier"/>.
/// </summary>
internal static class ProofKeyImport
{
    /// <summary>The imported key, which the caller owns (the header's key pool keeps it).</summary>
    public static DPoPResult<AsymmetricAlgorithm> Import(ProofJwk jwk, DPoPAlgorithm algorithm) =>
        algorithm.KeyType == "EC" ? ImportEC(jwk, algorithm) : ImportRsa(jwk);

    private static DPoPResult<AsymmetricAlgorithm> ImportEC(ProofJwk jwk, DPoPAlgorithm algorithm)
    {
        var parameters = new ECParameters
        {
            Curve = DPoPAlgorithm.CurveFor(algorithm.Curve!),
            Q = new ECPoint
            {
                X = Base64Url.DecodeFromChars(jwk.X),
                Y = Base64Url.DecodeFromChars(jwk.Y),
            },
        };

        return Imported(ECDsa.Create(), parameters, static (key, p) => key.ImportParameters(p)) is { } ecdsa
            ? DPoPResult<AsymmetricAlgorithm>.Ok(ecdsa)
            : DPoPFailures.PointNotOnCurve(algorithm);
    }

    private static DPoPResult<AsymmetricAlgorithm> ImportRsa(ProofJwk jwk)
    {
        var parameters = new RSAParameters
        {
            Modulus = TrimLeadingZeros(Base64Url.DecodeFromChars(jwk.N)),
            Exponent = TrimLeadingZeros(Base64Url.DecodeFromChars(jwk.E)),
        };

        return Imported(RSA.Create(), parameters, static (key, p) => key.ImportParameters(p)) is { } rsa
            ? DPoPResult<AsymmetricAlgorithm>.Ok(rsa)
            : DPoPFailures.RsaNotImportable;

        static byte[] TrimLeadingZeros(byte[] value)
        {
            int start = value.AsSpan().IndexOfAnyExcept((byte)0);
            return start <= 0 ? value : value[start..];
        }
    }

    // The platform refuses a point that is not on its curve (invalid-curve attacks) or an unusable modulus: null, and
    // the key is disposed at once.
    private static TKey? Imported<TKey, TParameters>(TKey key, TParameters parameters, Action<TKey, TParameters> import)
        where TKey : AsymmetricAlgorithm
    {
        try
        {
            import(key, parameters);
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null;
        }
    }
}
