using System.Text.Json;

namespace Arcp.DPoP;

/// <summary>
/// Step 3, the payload (RFC 9449 §4.2): reads <c>jti</c>, <c>htm</c>, <c>htu</c>, <c>iat</c>, <c>ath</c> and
/// <c>nonce</c> into the parsed proof; what they must be is <see cref="ProofClaimChecks"/>' business.
/// </summary>
internal static class ProofPayloadReader
{
    /// <summary>Reads <paramref name="json"/> into <paramref name="parsed"/>; null when it is a JSON object without duplicate claims.</summary>
    public static DPoPFailure? Read(ReadOnlySpan<byte> json, ParsedProof parsed) =>
        JsonMembers.ReadObject(json, DPoPFailures.Payload, parsed, ReadClaim);

    private static DPoPFailure? ReadClaim(ref Utf8JsonReader reader, string name, ParsedProof parsed)
    {
        switch (name)
        {
            case "jti": parsed.JtiText = ReadText(ref reader, parsed, name); break;
            case "htm": parsed.HtmText = ReadText(ref reader, parsed, name); break;
            case "htu": parsed.HtuText = ReadText(ref reader, parsed, name); break;
            case "ath": parsed.AthText = ReadText(ref reader, parsed, name); break;
            case "nonce": parsed.Nonce = ReadString(ref reader, parsed, name); break;
            case "iat":
                parsed.HasIat = true;
                if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double iat) && double.IsFinite(iat))
                {
                    parsed.Iat = iat;
                    parsed.IatIsNumber = true;
                }
                else
                {
                    reader.Skip();
                }

                break;
            default:
                reader.Skip();
                break;
        }

        return null;
    }

    // A claim of the wrong type is remembered (the first one) and reported by the claim checks.
    private static ProofClaimText ReadText(ref Utf8JsonReader reader, ParsedProof parsed, string name)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return ProofClaimText.Read(ref reader);
        }

        parsed.NonStringClaim ??= name;
        reader.Skip();
        return default;
    }

    private static string? ReadString(ref Utf8JsonReader reader, ParsedProof parsed, string name)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        parsed.NonStringClaim ??= name;
        reader.Skip();
        return null;
    }
}
