using System.Numerics;

namespace Arcp.DPoP;

/// <summary>
/// The strict RFC 8032 checks on Ed25519 encodings that a proof must pass before its signature is verified, done here
/// so each refusal names its reason (the library would only answer "does not verify").
/// </summary>
/// <remarks>
/// Strict verification (RFC 8032 §5.1.7, which RFC 8037 §3.1 applies to JOSE) refuses encodings that lax
/// implementations accept: a public key whose y is not reduced modulo p or that is not on the curve, a public key of
/// small order (with which a "signature" verifies for every message, so it proves possession of nothing), and an S
/// that is not reduced modulo L (a second valid signature for the same proof: malleability).
/// </remarks>
internal static class Ed25519Encoding
{
    public const int PublicKeySize = 32;
    public const int SignatureSize = 64;

    // The y coordinates (little-endian, sign bit cleared) of the 8 points of order 1, 2, 4 and 8: the identity (y = 1),
    // the point of order 2 (y = p - 1), the two of order 4 (y = 0) and the four of order 8 (y and p - y of one of them).
    private static readonly byte[][] SmallOrderY =
    [
        Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000000"),
        Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000000"),
        Convert.FromHexString("ECFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F"),
        Convert.FromHexString("C7176A703D4DD84FBA3C0B760D10670F2A2053FA2C39CCC64EC7FD7792AC037A"),
        Convert.FromHexString("26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC05"),
    ];

    // L = 2^252 + 27742317777372353535851937790883648493, the order of the base point, little-endian (RFC 8032 §5.1).
    private static ReadOnlySpan<byte> GroupOrder =>
    [
        0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ];

    /// <summary>Whether the encoded point's y (the low 255 bits) is below p = 2^255 - 19 (RFC 8032 §5.1.3 step 1).</summary>
    public static bool IsCanonicalPoint(ReadOnlySpan<byte> encoded)
    {
        // y >= p only when bits 0..254 are p..2^255-1: the first byte at least 0xED, then all ones.
        if ((encoded[31] & 0x7F) != 0x7F || encoded[0] < 0xED)
        {
            return true;
        }

        return encoded[1..31].ContainsAnyExcept((byte)0xFF);
    }

    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;

    // d = -121665 / 121666 mod p and sqrt(-1) = 2^((p-1)/4) mod p (RFC 8032 §5.1).
    private static readonly BigInteger D = Mod(-121665 * BigInteger.ModPow(121666, P - 2, P));
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);

    /// <summary>
    /// Whether a canonical encoding decodes to a point of the curve (RFC 8032 §5.1.3 steps 2-4): x can be recovered
    /// from y, and x = 0 comes with sign bit 0. Runs once per proof header (the header cache keeps the result).
    /// </summary>
    public static bool IsOnCurve(ReadOnlySpan<byte> encoded)
    {
        Span<byte> yBytes = stackalloc byte[PublicKeySize];
        encoded.CopyTo(yBytes);
        bool sign = (yBytes[31] & 0x80) != 0;
        yBytes[31] &= 0x7F;
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: false);
        var y2 = y * y % P;
        var u = Mod(y2 - 1);
        var v = Mod((D * y2) + 1);
        var xx = u * BigInteger.ModPow(v, P - 2, P) % P;
        var x = BigInteger.ModPow(xx, (P + 3) / 8, P);
        if (Mod((x * x) - xx) != 0)
        {
            x = x * SqrtMinusOne % P;
            if (Mod((x * x) - xx) != 0)
            {
                return false;
            }
        }

        return !(x.IsZero && sign);
    }

    private static BigInteger Mod(BigInteger value)
    {
        var r = value % P;
        return r.Sign < 0 ? r + P : r;
    }

    /// <summary>Whether a canonical encoded point is one of the 8 points of small order (order dividing 8).</summary>
    public static bool IsSmallOrder(ReadOnlySpan<byte> encoded)
    {
        Span<byte> y = stackalloc byte[PublicKeySize];
        encoded.CopyTo(y);
        y[31] &= 0x7F; // the sign of x: both signs of a small-order y are small-order points (or not on the curve)
        foreach (byte[] candidate in SmallOrderY)
        {
            if (y.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the signature's S (its second half, little-endian) is below L (RFC 8032 §5.1.7 step 1).</summary>
    public static bool IsCanonicalScalar(ReadOnlySpan<byte> s)
    {
        for (int i = 31; i >= 0; i--)
        {
            if (s[i] != GroupOrder[i])
            {
                return s[i] < GroupOrder[i];
            }
        }

        return false; // S == L
    }
}
