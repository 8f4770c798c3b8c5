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
    public static DPoPFailure? Check(ParsedProof parsed, ReadOnlySpan<byte> payload, string httpMethod, ReadOnlySpan<char> expectedHtu, ReadOnlyMemory<char>? accessToken, ProofPolicy policy)
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

        // The claims are compared as the payload's bytes: a string is made only for a failure's detail (issue 14).
        // RFC 9449 §4.2: jti, a unique identifier.
        if (!parsed.JtiText.Present || parsed.JtiText.IsEmpty)
        {
            return DPoPFailures.JtiMissing;
        }

        int jtiLength = parsed.JtiText.CharLength(payload);
        if (jtiLength > DPoPProofValidator.MaxJtiLength)
        {
            return DPoPFailures.JtiTooLong(jtiLength, DPoPProofValidator.MaxJtiLength);
        }

        // RFC 9449 §4.3 item 8: case-sensitive. The request's method string stands for an equal htm.
        if (!parsed.HtmText.Present)
        {
            return DPoPFailures.HtmMissing(httpMethod);
        }

        if (!parsed.HtmText.EqualsOrdinal(payload, httpMethod))
        {
            return DPoPFailures.HtmMismatch(parsed.HtmText.Materialize(payload)!, httpMethod);
        }

        parsed.HtmText.Text ??= httpMethod;

        // RFC 9449 §4.3 item 9.
        if (!parsed.HtuText.Present)
        {
            return DPoPFailures.HtuMissing(expectedHtu.ToString());
        }

        // The usual case costs one comparison: a client that sends the URI already normalised.
        if (!parsed.HtuText.EqualsOrdinal(payload, expectedHtu))
        {
            string htu = parsed.HtuText.Materialize(payload)!;
            if (!HtuNormalizer.TryNormalize(htu, out string? actualHtu, out string? htuError))
            {
                return DPoPFailures.HtuUnusable(htu, htuError, expectedHtu.ToString());
            }

            if (!actualHtu.AsSpan().SequenceEqual(expectedHtu))
            {
                return DPoPFailures.HtuMismatch(htu, expectedHtu.ToString());
            }
        }

        // RFC 9449 §4.3 item 11: within an acceptable window.
        if (CheckIat(parsed, policy.Options) is { } iatFailure)
        {
            return iatFailure;
        }

        // RFC 9449 §4.3 item 12 / §7: when presented with an access token, ath is required and must match.
        if (accessToken is not null)
        {
            if (!parsed.AthText.Present)
            {
                return DPoPFailures.AthMissing;
            }

            bool matches = parsed.AthText.Text is { } ath ? AthMatches(ath, accessToken.Value.Span) : AthMatches(parsed.AthText.Bytes(payload), accessToken.Value.Span);
            if (!matches)
            {
                return DPoPFailures.AthMismatch;
            }
        }

        // Step 8's key, from the bytes while they are here (RFC 9449 §11.1).
        parsed.ReplayHash = parsed.JtiText.Text is { } jti
            ? ProofReplayKey.HashOf(parsed.Jkt, jti)
            : ProofReplayKey.HashOf(parsed.Jkt, parsed.JtiText.Bytes(payload));
        return null;
    }

    // ath as the payload's bytes: 43 base64url characters, compared in fixed time with the token's hash.
    private static bool AthMatches(ReadOnlySpan<byte> ath, ReadOnlySpan<char> accessToken)
    {
        if (ath.Length != 43)
        {
            return false;
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        TextHash.Sha256(accessToken, hash);
        Span<byte> expected = stackalloc byte[43];
        Base64Url.EncodeToUtf8(hash, expected);
        return CryptographicOperations.FixedTimeEquals(expected, ath);
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

    // ath as text (a claim read with escapes): its ASCII bytes, judged as above; anything else is no base64url.
    private static bool AthMatches(string ath, ReadOnlySpan<char> accessToken)
    {
        if (ath.Length != 43)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[43];
        for (int i = 0; i < 43; i++)
        {
            if (ath[i] > 0x7F)
            {
                return false;
            }

            actual[i] = (byte)ath[i];
        }

        return AthMatches(actual, accessToken);
    }
}
