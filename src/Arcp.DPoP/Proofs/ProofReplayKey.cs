using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Arcp.DPoP;

/// <summary>
/// Step 8's key: what the replay cache records for a proof (RFC 9449 §11.1), SHA-256 of <c>jkt "." jti</c> — a
/// fixed size whatever the client sends, and the same jti from two keys never collides.
/// </summary>
internal static class ProofReplayKey
{
    /// <summary>The key of <paramref name="jkt"/> and a <c>jti</c> given as its UTF-8 bytes (the same key as the string's).</summary>
    public static Hash HashOf(string jkt, ReadOnlySpan<byte> jti)
    {
        // jkt is base64url (43 ASCII characters for SHA-256), so '.' cannot occur in it and the pair is unambiguous;
        // jti is at most MaxJtiLength characters (4 UTF-8 bytes each).
        int length = jkt.Length + 1 + jti.Length;
        byte[]? rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        try
        {
            Span<byte> buffer = rented is null ? stackalloc byte[512] : rented;
            int written = Encoding.ASCII.GetBytes(jkt, buffer);
            buffer[written++] = (byte)'.';
            jti.CopyTo(buffer[written..]);
            written += jti.Length;
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], hash);
            var words = MemoryMarshal.Cast<byte, ulong>(hash);
            return new Hash(words[0], words[1], words[2], words[3]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The SHA-256 of a replay key, kept until the key's text is needed.</summary>
    public readonly record struct Hash(ulong A, ulong B, ulong C, ulong D)
    {
        /// <summary>The key: the hash in base64url.</summary>
        public string ToKey()
        {
            Span<ulong> words = [A, B, C, D];
            return Base64Url.EncodeToString(MemoryMarshal.AsBytes(words));
        }
    }

    /// <summary>The digest of <paramref name="jkt"/> and <paramref name="jti"/>: the same as <see cref="HashOf(string, ReadOnlySpan{byte})"/> of its UTF-8 bytes.</summary>
    public static Hash HashOf(string jkt, string jti) => HashOf(jkt, Encoding.UTF8.GetBytes(jti));

    /// <summary>The key as text (base64url of the digest), for stores that take a string.</summary>
    public static string Of(string jkt, string jti) => HashOf(jkt, jti).ToKey();
}
