using System.Text.Json;

namespace Arcp.DPoP;

/// <summary>
/// Reads the JSON objects of a proof (its header, its payload, its <c>jwk</c>) member by member, refusing duplicate
/// member names (RFC 7515 §5.2, RFC 8725 §3.1: a parser that keeps the last duplicate lets two readers see two
/// different proofs). Malformed JSON and excessive nesting are failures, never exceptions.
/// </summary>
internal static class JsonMembers
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>Reads one member whose value the reader is positioned on; returns the failure, if any.</summary>
    public delegate DPoPFailure? MemberReader<TState>(ref Utf8JsonReader reader, string name, TState state);

    /// <summary>Reads a header or payload: a JSON object and nothing after it.</summary>
    /// <param name="json">The decoded part.</param>
    /// <param name="part">The failures of that part.</param>
    /// <param name="state">What the members are read into.</param>
    /// <param name="readMember">Reads one member's value.</param>
    public static DPoPFailure? ReadObject<TState>(ReadOnlySpan<byte> json, DPoPFailures.JsonPart part, TState state, MemberReader<TState> readMember)
    {
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return part.NotObject;
            }

            var failure = Read(ref reader, state, readMember, part.Duplicate);
            return failure is null && reader.Read() ? part.TrailingData : failure;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (found by the fuzz tests).
            return part.NotJson;
        }
    }

    /// <summary>Reads the members of the object the reader is positioned on (its start), up to its end.</summary>
    /// <param name="reader">The reader, on a <see cref="JsonTokenType.StartObject"/>.</param>
    /// <param name="state">What the members are read into.</param>
    /// <param name="readMember">Reads one member's value; must consume it whole (skip what it does not use).</param>
    /// <param name="duplicate">The failure for a member name seen twice.</param>
    public static DPoPFailure? Read<TState>(ref Utf8JsonReader reader, TState state, MemberReader<TState> readMember, Func<string, DPoPFailure> duplicate)
    {
        var seen = new DuplicateMemberGuard();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = (reader.ValueIsEscaped ? null : Known(reader.ValueSpan)) ?? reader.GetString()!;
            if (!seen.Add(name))
            {
                return duplicate(QuotedValue.ForDetail(name));
            }

            reader.Read();
            var failure = readMember(ref reader, name, state);
            if (failure is not null)
            {
                return failure;
            }
        }

        return null;
    }

    /// <summary>
    /// The names proofs use, as constant strings: every proof's claims and header are read without a string made per
    /// member name (issue 14). Any other name, or one written with escapes, is read as a new string.
    /// </summary>
    private static string? Known(ReadOnlySpan<byte> name) => name.Length switch
    {
        1 => name[0] switch
        {
            (byte)'x' => "x",
            (byte)'y' => "y",
            (byte)'n' => "n",
            (byte)'e' => "e",
            (byte)'d' => "d",
            (byte)'p' => "p",
            (byte)'q' => "q",
            (byte)'k' => "k",
            _ => null,
        },
        2 => name.SequenceEqual("dp"u8) ? "dp" : name.SequenceEqual("dq"u8) ? "dq" : name.SequenceEqual("qi"u8) ? "qi" : null,
        3 => name.SequenceEqual("jti"u8) ? "jti"
            : name.SequenceEqual("htm"u8) ? "htm"
            : name.SequenceEqual("htu"u8) ? "htu"
            : name.SequenceEqual("iat"u8) ? "iat"
            : name.SequenceEqual("ath"u8) ? "ath"
            : name.SequenceEqual("typ"u8) ? "typ"
            : name.SequenceEqual("alg"u8) ? "alg"
            : name.SequenceEqual("jwk"u8) ? "jwk"
            : name.SequenceEqual("kty"u8) ? "kty"
            : name.SequenceEqual("crv"u8) ? "crv"
            : name.SequenceEqual("kid"u8) ? "kid"
            : name.SequenceEqual("oth"u8) ? "oth"
            : null,
        4 => name.SequenceEqual("crit"u8) ? "crit" : null,
        5 => name.SequenceEqual("nonce"u8) ? "nonce" : null,
        _ => null,
    };
}
