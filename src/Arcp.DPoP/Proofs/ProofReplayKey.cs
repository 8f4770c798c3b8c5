using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Arcp.DPoP;

/// <summary>
/// Step 8's key: what the replay cache records for a proof (RFC 9449 §11.1), SHA-256 of <c>jkt "." jti</c> — a
/// fixed size whatever the client sends, and the same jti from two keys never collides.
/// </summary>
internal static class ProofReplayKey
{
    public static string Of(string jkt, string jti)
    {
        // jkt is base64url, so '.' cannot occur in it: the pair is unambiguous.
        int length = jkt.Length + 1 + Encoding.UTF8.GetMaxByteCount(jti.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int written = Encoding.ASCII.GetBytes(jkt, buffer);
            buffer[written++] = (byte)'.';
            written += Encoding.UTF8.GetBytes(jti, buffer.AsSpan(written));
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer.AsSpan(0, written), hash);
            return Base64Url.EncodeToString(hash);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
