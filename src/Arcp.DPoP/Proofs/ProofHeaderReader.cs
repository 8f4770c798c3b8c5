using System.Text.Json;

namespace Arcp.DPoP;

/// <summary>
/// Step 3, the JOSE header policy (RFC 9449 §4.3 items 4, 5 and 7; RFC 7515 §4.1.11; RFC 8725 §3.1): <c>typ</c>
/// dpop+jwt, an allow-listed asymmetric <c>alg</c>, no <c>crit</c>, and a <c>jwk</c> the key policy accepts. Done
/// once per header text: the header cache keeps a header that verified.
/// </summary>
internal static class ProofHeaderReader
{
    /// <summary>Reads <paramref name="json"/> into <paramref name="header"/> and checks it; null when it is acceptable.</summary>
    public static DPoPFailure? Read(ReadOnlySpan<byte> json, ProofHeader header, ProofPolicy policy)
    {
        if (JsonMembers.ReadObject(json, DPoPFailures.Header, header, ReadMember) is { } failure)
        {
            return failure;
        }

        // RFC 9449 §4.3 item 4.
        if (header.Typ is not { } typ || !IsDPoPType(typ))
        {
            return header.Typ is null ? DPoPFailures.TypMissing : DPoPFailures.TypInvalid(header.Typ);
        }

        // RFC 9449 §4.3 item 5 and RFC 8725 §3.1: an allow-listed asymmetric algorithm, never 'none' or a MAC.
        if (string.IsNullOrEmpty(header.Alg))
        {
            return DPoPFailures.AlgMissing(policy.AllowedList);
        }

        if (policy.FindAllowed(header.Alg) is not { } algorithm)
        {
            return DPoPFailures.AlgNotAllowed(header.Alg, policy.AllowedList);
        }

        // RFC 9449 §4.3 item 7.
        if (header.Jwk is not { } jwk)
        {
            return DPoPFailures.JwkMissing;
        }

        if (ProofJwkPolicy.Check(jwk, algorithm, policy.MaxRsaKeyBits) is { } keyFailure)
        {
            return keyFailure;
        }

        header.Algorithm = algorithm;
        return null;
    }

    private static DPoPFailure? ReadMember(ref Utf8JsonReader reader, string name, ProofHeader header)
    {
        switch (name)
        {
            case "typ":
                header.Typ = ReadString(ref reader);
                return null;
            case "alg":
                header.Alg = ReadString(ref reader);
                return null;
            case "jwk":
                return ProofJwk.Read(ref reader, header);
            case "crit":
                // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand; we understand none.
                return DPoPFailures.Critical;
            default:
                reader.Skip();
                return null;
        }
    }

    // A member of the wrong type reads as empty, which no check accepts.
    private static string ReadString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString()!;
        }

        reader.Skip();
        return string.Empty;
    }

    private static bool IsDPoPType(string typ) =>
        typ.Equals(DPoPDefaults.ProofTokenType, StringComparison.OrdinalIgnoreCase) ||
        typ.Equals("application/" + DPoPDefaults.ProofTokenType, StringComparison.OrdinalIgnoreCase);
}
