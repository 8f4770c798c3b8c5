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
        !value.IsEmpty && !value.ContainsAnyExcept(Alphabet) && value.Length % 4 != 1;

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
