using System.Buffers.Text;

namespace Arcp.DPoP;

/// <summary>
/// Step 3, the <c>jwk</c> policy (RFC 9449 §4.3 item 7): a public key of the algorithm's type, checked before any
/// library sees it — EC (RFC 7518 §6.2: curve and coordinate sizes; the point itself is checked on import), RSA
/// (RFC 8725 §3.5: 2048 bits up to <see cref="DPoPOptions.MaxRsaKeySize"/>, a small odd exponent) and Ed25519
/// (RFC 8037 §2, RFC 8032 §5.1.3: canonical, on the curve, not of small order; <see cref="Ed25519Encoding"/>).
/// </summary>
internal static class ProofJwkPolicy
{
    // The public exponent is odd and from 3 to 65537, so verification stays cheap: its cost grows with the exponent's bits.
    private const long MaxRsaExponent = 65537;

    /// <summary>Null when <paramref name="jwk"/> is an acceptable public key for <paramref name="algorithm"/>.</summary>
    public static DPoPFailure? Check(ProofJwk jwk, DPoPAlgorithm algorithm, int maxRsaModulusBits)
    {
        if (jwk.PrivateMember is not null)
        {
            return DPoPFailures.JwkPrivate(jwk.PrivateMember);
        }

        if (jwk.Kty is null)
        {
            return DPoPFailures.KtyMissing;
        }

        if (!string.Equals(jwk.Kty, algorithm.KeyType, StringComparison.Ordinal))
        {
            return DPoPFailures.KtyMismatch(algorithm, jwk.Kty);
        }

        if (jwk.Alg is not null && !string.Equals(jwk.Alg, algorithm.Name, StringComparison.Ordinal) &&
            !(algorithm.IsEdDsa && DPoPAlgorithm.Find(jwk.Alg) is { IsEdDsa: true }))
        {
            // EdDSA (RFC 8037) and Ed25519 (RFC 9864) name the same signatures with the same keys: either fits either.
            return DPoPFailures.JwkAlgMismatch(jwk.Alg, algorithm);
        }

        return algorithm.KeyType switch
        {
            "OKP" => CheckOkp(jwk, algorithm),
            "EC" => CheckEC(jwk, algorithm),
            _ => CheckRsa(jwk, maxRsaModulusBits),
        };
    }

    private static DPoPFailure? CheckEC(ProofJwk jwk, DPoPAlgorithm algorithm)
    {
        if (!string.Equals(jwk.Crv, algorithm.Curve, StringComparison.Ordinal))
        {
            return DPoPFailures.CurveMismatch(algorithm, jwk.Crv);
        }

        return IsCoordinate(jwk.X, algorithm.CoordinateSize) && IsCoordinate(jwk.Y, algorithm.CoordinateSize)
            ? null
            : DPoPFailures.CoordinateSize(algorithm);
    }

    private static DPoPFailure? CheckRsa(ProofJwk jwk, int maxRsaModulusBits)
    {
        if (jwk.N is null || jwk.E is null || !Base64UrlStrict.IsValid(jwk.N) || !Base64UrlStrict.IsValid(jwk.E))
        {
            return DPoPFailures.RsaMembersMissing;
        }

        int modulusBits = RsaModulusBits(jwk.N);
        if (modulusBits < ProofPolicy.MinRsaModulusBits)
        {
            return DPoPFailures.RsaTooSmall(modulusBits, ProofPolicy.MinRsaModulusBits);
        }

        if (modulusBits > maxRsaModulusBits)
        {
            return DPoPFailures.RsaTooLarge(modulusBits, maxRsaModulusBits);
        }

        long exponent = RsaExponent(jwk.E);
        return exponent < 3 || exponent > MaxRsaExponent || (exponent & 1) == 0 ? DPoPFailures.RsaExponentInvalid : null;
    }

    /// <summary>An Ed25519 public key (RFC 8037 §2): <c>crv</c> Ed25519, a canonical 32-byte <c>x</c> of large order.</summary>
    private static DPoPFailure? CheckOkp(ProofJwk jwk, DPoPAlgorithm algorithm)
    {
        switch (jwk.Crv)
        {
            case "Ed25519":
                break;
            case null:
                return DPoPFailures.OkpCurveMissing(algorithm);
            case "Ed448":
                return DPoPFailures.OkpCurveEd448(algorithm);
            case "X25519" or "X448":
                return DPoPFailures.OkpCurveKeyAgreement(jwk.Crv, algorithm);
            default:
                return DPoPFailures.OkpCurveOther(algorithm, jwk.Crv);
        }

        if (jwk.Y is not null)
        {
            return DPoPFailures.OkpHasY;
        }

        Span<byte> key = stackalloc byte[Ed25519Encoding.PublicKeySize];
        if (!IsCoordinate(jwk.X, Ed25519Encoding.PublicKeySize) || !Base64UrlStrict.TryDecode(jwk.X, key, out _))
        {
            return DPoPFailures.Ed25519XSize;
        }

        if (!Ed25519Encoding.IsCanonicalPoint(key))
        {
            return DPoPFailures.Ed25519NotCanonical;
        }

        if (!Ed25519Encoding.IsOnCurve(key))
        {
            return DPoPFailures.Ed25519NotOnCurve;
        }

        return Ed25519Encoding.IsSmallOrder(key) ? DPoPFailures.Ed25519SmallOrder : null;
    }

    private static bool IsCoordinate(string? value, int size) =>
        value is not null && Base64UrlStrict.IsValid(value) && Base64Url.GetMaxDecodedLength(value.Length) == size;

    // The exponent's value, or -1 when it is longer than 3 bytes (no exponent the policy accepts is).
    private static long RsaExponent(string e)
    {
        Span<byte> bytes = stackalloc byte[8];
        if (Base64UrlStrict.MaxDecodedLength(e.Length) > bytes.Length || !Base64UrlStrict.TryDecode(e, bytes, out int length))
        {
            return -1;
        }

        long value = 0;
        foreach (byte b in bytes[..length])
        {
            if (value > MaxRsaExponent)
            {
                return -1;
            }

            value = (value << 8) | b;
        }

        return value;
    }

    private static int RsaModulusBits(string n)
    {
        int max = Base64UrlStrict.MaxDecodedLength(n.Length);
        if (max > (ProofPolicy.MaxRsaModulusBits / 8) + 1)
        {
            return max * 8;
        }

        Span<byte> modulus = stackalloc byte[max];
        if (!Base64UrlStrict.TryDecode(n, modulus, out int length))
        {
            return 0;
        }

        modulus = modulus[..length];
        int start = modulus.IndexOfAnyExcept((byte)0);
        if (start < 0)
        {
            return 0;
        }

        return ((length - start - 1) * 8) + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)modulus[start]));
    }
}
