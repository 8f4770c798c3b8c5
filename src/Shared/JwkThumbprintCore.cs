using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Arcp.DPoP;

/// <summary>
/// RFC 7638 JWK thumbprints (SHA-256, base64url), shared as source by the server library and the client
/// library so both compute a key's thumbprint the same way without the client depending on ASP.NET Core.
/// </summary>
internal static class JwkThumbprintCore
{
    // RFC 7638 §3: the required members only, in lexicographic order, no white space.
    // Members: EC {crv,kty,x,y}; RSA {e,kty,n}; OKP {crv,kty,x}; oct {k,kty}.
    public static string Compute(string kty, string? crv = null, string? e = null, string? k = null, string? n = null, string? x = null, string? y = null)
    {
        int length = 2 + Member(kty) + Optional(crv) + Optional(e) + Optional(k) + Optional(n) + Optional(x) + Optional(y);
        byte[]? rented = null;
        Span<byte> buffer = length <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            int written = 0;
            buffer[written++] = (byte)'{';
            bool first = true;
            Write(buffer, ref written, ref first, "crv", crv);
            Write(buffer, ref written, ref first, "e", e);
            Write(buffer, ref written, ref first, "k", k);
            Write(buffer, ref written, ref first, "kty", kty);
            Write(buffer, ref written, ref first, "n", n);
            Write(buffer, ref written, ref first, "x", x);
            Write(buffer, ref written, ref first, "y", y);
            buffer[written++] = (byte)'}';

            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(buffer[..written], hash);
            return Base64Url.EncodeToString(hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        static int Optional(string? value) => value is null ? 0 : Member(value);

        // "name":"value", plus the comma; names are at most 3 characters.
        static int Member(string value) => value.Length + 10;
    }

    private static void Write(Span<byte> buffer, ref int written, ref bool first, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        // Values are base64url or curve names; anything JSON would have to escape cannot be a valid member.
        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E || c == '"' || c == '\\')
            {
                throw new FormatException($"The JWK member '{name}' has a character that is not allowed.");
            }
        }

        if (!first)
        {
            buffer[written++] = (byte)',';
        }

        first = false;
        buffer[written++] = (byte)'"';
        written += Encoding.ASCII.GetBytes(name, buffer[written..]);
        buffer[written++] = (byte)'"';
        buffer[written++] = (byte)':';
        buffer[written++] = (byte)'"';
        written += Encoding.ASCII.GetBytes(value, buffer[written..]);
        buffer[written++] = (byte)'"';
    }
}
