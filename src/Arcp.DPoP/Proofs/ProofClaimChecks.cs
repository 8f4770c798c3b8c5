using System.Buffers.Text;
using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Step 3, the claims against the request (RFC 9449 §4.3 items 8-12): <c>jti</c>, <c>htm</c>, <c>htu</c>,
/// <c>iat</c> within the window, and <c>ath</c> when an access token came with the proof. No public-key operation.
/// </summary>
internal static class ProofClaimChecks
{
    /// <summary>Null when every claim fits the request; sets <see cref="ParsedProof.IssuedAt"/>.</summary>
    public static DPoPFailure? Check(ParsedProof parsed, string httpMethod, string expectedHtu, ReadOnlyMemory<char>? accessToken, ProofPolicy policy)
    {
        if (parsed.NonStringClaim is not null)
        {
            return parsed.NonStringClaim switch
            {
                "jti" => DPoPFailures.JtiNotString,
                "htm" => DPoPFailures.HtmNotString,
                "htu" => DPoPFailures.HtuNotString,
                "ath" => DPoPFailures.AthNotString,
                _ => DPoPFailures.NonceNotString,
            };
        }

        // RFC 9449 §4.2: jti, a unique identifier.
        if (string.IsNullOrEmpty(parsed.Jti))
        {
            return DPoPFailures.JtiMissing;
        }

        if (parsed.Jti.Length > DPoPProofValidator.MaxJtiLength)
        {
            return DPoPFailures.JtiTooLong(parsed.Jti.Length, DPoPProofValidator.MaxJtiLength);
        }

        // RFC 9449 §4.3 item 8: case-sensitive.
        if (parsed.Htm is null)
        {
            return DPoPFailures.HtmMissing(httpMethod);
        }

        if (!string.Equals(parsed.Htm, httpMethod, StringComparison.Ordinal))
        {
            return DPoPFailures.HtmMismatch(parsed.Htm, httpMethod);
        }

        // RFC 9449 §4.3 item 9.
        if (parsed.Htu is null)
        {
            return DPoPFailures.HtuMissing(expectedHtu);
        }

        // The usual case costs one comparison: a client that sends the URI already normalised.
        string? actualHtu = string.Equals(parsed.Htu, expectedHtu, StringComparison.Ordinal) ? expectedHtu : null;
        string? htuError = null;
        if (actualHtu is null && !HtuNormalizer.TryNormalize(parsed.Htu, out actualHtu, out htuError))
        {
            return DPoPFailures.HtuUnusable(parsed.Htu, htuError, expectedHtu);
        }

        if (!string.Equals(actualHtu, expectedHtu, StringComparison.Ordinal))
        {
            return DPoPFailures.HtuMismatch(parsed.Htu, expectedHtu);
        }

        // RFC 9449 §4.3 item 11: within an acceptable window.
        if (CheckIat(parsed, policy.Options) is { } iatFailure)
        {
            return iatFailure;
        }

        // RFC 9449 §4.3 item 12 / §7: when presented with an access token, ath is required and must match.
        if (accessToken is not null)
        {
            if (parsed.Ath is null)
            {
                return DPoPFailures.AthMissing;
            }

            if (!AthMatches(parsed.Ath, accessToken.Value.Span))
            {
                return DPoPFailures.AthMismatch;
            }
        }

        return null;
    }

    private static DPoPFailure? CheckIat(ParsedProof parsed, DPoPOptions options)
    {
        if (!parsed.HasIat)
        {
            return DPoPFailures.IatMissing;
        }

        if (!parsed.IatIsNumber)
        {
            return DPoPFailures.IatNotNumber;
        }

        double now = options.Clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        double age = now - parsed.Iat;
        double lifetime = options.ProofLifetime.TotalSeconds;
        double skew = options.ClockSkew.TotalSeconds;
        if (age > lifetime)
        {
            return DPoPFailures.IatTooOld(age, lifetime);
        }

        if (-age > skew)
        {
            return DPoPFailures.IatInFuture(-age, skew);
        }

        parsed.IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds((long)(parsed.Iat * 1000));
        return null;
    }

    private static bool AthMatches(string ath, ReadOnlySpan<char> accessToken)
    {
        if (ath.Length != 43)
        {
            return false;
        }

        // Tokens are token68 (ASCII), where UTF-8 and ASCII are the same bytes.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        TextHash.Sha256(accessToken, hash);
        Span<byte> expected = stackalloc byte[43];
        Base64Url.EncodeToUtf8(hash, expected);
        Span<byte> actual = stackalloc byte[43];
        for (int i = 0; i < 43; i++)
        {
            if (ath[i] > 0x7F)
            {
                return false;
            }

            actual[i] = (byte)ath[i];
        }

        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
