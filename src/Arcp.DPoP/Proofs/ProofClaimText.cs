using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Arcp.DPoP;

/// <summary>
/// Where a string claim of the proof's payload (<c>jti</c>, <c>htm</c>, <c>htu</c>, <c>ath</c>) is: its unescaped UTF-8
/// bytes in the decoded payload, or its text when it had to be made (an escaped value, a failure's detail, an event).
/// The checks compare the bytes with what the request expects; a string is made only when someone reads it (issue 14).
/// </summary>
internal struct ProofClaimText
{
    /// <summary>The value's first byte in the decoded payload (at least 1: after the object's brace), when <see cref="Text"/> was not made while reading.</summary>
    public int Start;

    /// <summary>The value's length in UTF-8 bytes, when <see cref="Text"/> was not made while reading.</summary>
    public int Length;

    /// <summary>The value as a string, once made.</summary>
    public string? Text;

    /// <summary>Whether the claim was in the payload, as a string.</summary>
    public readonly bool Present => Text is not null || Start > 0;

    /// <summary>Reads the current string token: its bytes' place when it has no escapes, else its text.</summary>
    public static ProofClaimText Read(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || !Utf8.IsValid(reader.ValueSpan))
        {
            // Escapes are resolved, and invalid UTF-8 refused (InvalidOperationException), by the reader's own GetString.
            return new ProofClaimText { Text = reader.GetString() };
        }

        // TokenStartIndex is the opening quote.
        return new ProofClaimText { Start = checked((int)reader.TokenStartIndex + 1), Length = reader.ValueSpan.Length };
    }

    /// <summary>The value's UTF-8 bytes in the decoded payload (only when <see cref="Text"/> was not made while reading).</summary>
    public readonly ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> payload) => payload.Slice(Start, Length);

    /// <summary>Whether the value is empty.</summary>
    public readonly bool IsEmpty => Text is not null ? Text.Length == 0 : Length == 0;

    /// <summary>The value's length in UTF-16 characters, as a string of it would have.</summary>
    public readonly int CharLength(ReadOnlySpan<byte> payload) => Text?.Length ?? Encoding.UTF8.GetCharCount(Bytes(payload));

    /// <summary>Whether the value is <paramref name="expected"/>, ordinally (the bytes are compared, no string is made).</summary>
    public readonly bool EqualsOrdinal(ReadOnlySpan<byte> payload, ReadOnlySpan<char> expected)
    {
        if (Text is not null)
        {
            return Text.AsSpan().SequenceEqual(expected);
        }

        var bytes = Bytes(payload);
        if (System.Text.Ascii.IsValid(bytes))
        {
            return System.Text.Ascii.Equals(bytes, expected); // ASCII bytes equal a string only if it is those ASCII characters
        }

        return Encoding.UTF8.GetString(bytes).AsSpan().SequenceEqual(expected); // non-ASCII: rare, compared as text
    }

    /// <summary>The value as a string, made from the live payload and kept.</summary>
    public string? Materialize(ReadOnlySpan<byte> payload)
    {
        if (Text is null && Present)
        {
            Text = Encoding.UTF8.GetString(Bytes(payload));
        }

        return Text;
    }
}
