using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// An issuer's Ed25519 public key (an RFC 8037 <c>OKP</c> JWK with <c>crv</c> <c>Ed25519</c>) as a Microsoft.IdentityModel
/// <see cref="SecurityKey"/>. Microsoft.IdentityModel has no EdDSA: this key brings its own
/// <see cref="CryptoProviderFactory"/>, which verifies <c>EdDSA</c> (RFC 8037) and <c>Ed25519</c> (RFC 9864) signatures
/// with libsodium (NSec), so access tokens signed with Ed25519 go through the ordinary <c>JsonWebTokenHandler</c> pipeline.
/// </summary>
internal sealed class Ed25519SecurityKey : SecurityKey
{
    private Ed25519SecurityKey(PublicKey publicKey, string? keyId, string? x)
    {
        PublicKey = publicKey;
        KeyId = keyId;
        X = x;
        CryptoProviderFactory = Ed25519CryptoProviderFactory.Instance;
    }

    /// <summary>The imported public key.</summary>
    public PublicKey PublicKey { get; }

    /// <summary>The JWK's <c>x</c> (base64url), when the key came from a JWK.</summary>
    public string? X { get; }

    /// <inheritdoc />
    public override int KeySize => 256;

    /// <summary>
    /// Imports a raw 32-byte Ed25519 public key. Refuses keys that are not 32 bytes or that libsodium will not import
    /// (a non-canonical encoding); small-order keys are refused at verification by libsodium's strict check.
    /// </summary>
    public static Ed25519SecurityKey? TryCreate(ReadOnlySpan<byte> x, string? keyId, string? jwkX = null)
    {
        if (x.Length != 32 || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, x, KeyBlobFormat.RawPublicKey, out var publicKey) || publicKey is null)
        {
            return null;
        }

        return new Ed25519SecurityKey(publicKey, keyId, jwkX);
    }

    /// <summary>Whether <paramref name="algorithm"/> names EdDSA over Ed25519: <c>EdDSA</c> (RFC 8037) or <c>Ed25519</c> (RFC 9864).</summary>
    public static bool IsEd25519Algorithm(string? algorithm) =>
        string.Equals(algorithm, "EdDSA", StringComparison.Ordinal) || string.Equals(algorithm, "Ed25519", StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool CanComputeJwkThumbprint() => false;

    /// <inheritdoc />
    public override string ToString() => $"Ed25519SecurityKey, KeyId: '{KeyId}'";
}
