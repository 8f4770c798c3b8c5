using Microsoft.IdentityModel.Tokens;
using NSec.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Verifies Ed25519 signatures (RFC 8032) with libsodium through NSec: strict verification, which refuses
/// non-canonical signatures (S ≥ L) and small-order public keys. Thread-safe: NSec's verify holds no state.
/// </summary>
internal sealed class Ed25519SignatureProvider : SignatureProvider
{
    private const int SignatureSize = 64;
    private readonly PublicKey _publicKey;

    public Ed25519SignatureProvider(Ed25519SecurityKey key)
        : base(key, "EdDSA")
    {
        _publicKey = key.PublicKey;
        WillCreateSignatures = false;
    }

    public override byte[] Sign(byte[] input) => throw new NotSupportedException("Issuer Ed25519 keys are public keys: they verify, they never sign.");

    public override bool Verify(byte[] input, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(signature);
        return Verify(input.AsSpan(), signature.AsSpan());
    }

    public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(signature);
        return Verify(input.AsSpan(inputOffset, inputLength), signature.AsSpan(signatureOffset, signatureLength));
    }

    private bool Verify(ReadOnlySpan<byte> input, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && SignatureAlgorithm.Ed25519.Verify(_publicKey, input, signature);

    protected override void Dispose(bool disposing)
    {
    }
}
