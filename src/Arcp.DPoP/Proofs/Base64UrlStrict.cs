using System.Buffers;
using System.Buffers.Text;

namespace Arcp.DPoP;

/// <summary>
/// Base64url as JOSE uses it (RFC 7515 §2): the URL-safe alphabet, no padding, no white space.
/// The platform decoder is lenient about padding and white space, so the alphabet is checked first.
/// </summary>
internal static class Base64UrlStrict
{
    private static readonly SearchValues<char> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    public static bool IsValid(ReadOnlySpan<char> value) =>
        !value.IsEmpty && !value.ContainsAnyExcept(Alphabet) && value.Length % 4 != 1 && IsCanonicalEnd(value);

    // RFC 4648 §3.5: the unused low bits of the last character are zero. Otherwise several texts decode to the same
    // bytes, and a proof could be altered without breaking its signature.
    private static bool IsCanonicalEnd(ReadOnlySpan<char> value)
    {
        int unusedBits = (value.Length % 4) switch { 2 => 4, 3 => 2, _ => 0 };
        if (unusedBits == 0)
        {
            return true;
        }

        char last = value[^1];
        int sextet = last switch
        {
            >= 'A' and <= 'Z' => last - 'A',
            >= 'a' and <= 'z' => last - 'a' + 26,
            >= '0' and <= '9' => last - '0' + 52,
            '-' => 62,
            _ => 63,
        };
        return (sextet & ((1 << unusedBits) - 1)) == 0;
    }

    public static bool TryDecode(ReadOnlySpan<char> value, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!IsValid(value))
        {
            return false;
        }

        return Base64Url.DecodeFromChars(value, destination, out _, out bytesWritten) == OperationStatus.Done;
    }

    public static int MaxDecodedLength(int encodedLength) => Base64Url.GetMaxDecodedLength(encodedLength);
}
