using System.Buffers.Text;
using NSec.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Ed25519 signature verification (RFC 8032), by NSec over libsodium: .NET has no Ed25519 of its own.
/// The one place the server touches the library (docs/architecture.md says why this one).
/// </summary>
internal static class Ed25519Verifier
{
    /// <summary>
    /// Whether the native libsodium loads on this platform (the <c>libsodium</c> package ships it for the common ones).
    /// Checked at startup when EdDSA is allowed, so a platform without it is a configuration error, never a 500 on the
    /// first Ed25519 proof.
    /// </summary>
    public static bool IsAvailable(out string? error)
    {
        try
        {
            error = null;
            return SignatureAlgorithm.Ed25519 is not null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TypeInitializationException or DllNotFoundException or
            EntryPointNotFoundException or BadImageFormatException or PlatformNotSupportedException)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>Imports a checked <c>x</c> (32 bytes, canonical base64url) as a public key; null if the library refuses it.</summary>
    public static PublicKey? Import(string x)
    {
        Span<byte> raw = stackalloc byte[Ed25519Encoding.PublicKeySize];
        Base64Url.DecodeFromChars(x, raw);
        return PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out var key) ? key : null;
    }

    /// <summary>Verifies a 64-byte signature; no allocation.</summary>
    public static bool Verify(PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        SignatureAlgorithm.Ed25519.Verify(key, data, signature);
}
