using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Arcp.DPoP;

/// <summary>SHA-256 of a string's UTF-8 bytes, without allocating for the usual sizes (tokens, proofs).</summary>
internal static class TextHash
{
    public static void Sha256(ReadOnlySpan<char> text, Span<byte> hash)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        Span<byte> bytes = max <= 4096 ? stackalloc byte[4096] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int length = Encoding.UTF8.GetBytes(text, bytes);
            SHA256.HashData(bytes[..length], hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
