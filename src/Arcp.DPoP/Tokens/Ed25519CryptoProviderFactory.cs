using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// The crypto provider of every <see cref="Ed25519SecurityKey"/> (one stateless instance): verification only (an API never signs tokens), for
/// <c>EdDSA</c> and <c>Ed25519</c>. Any other algorithm is unsupported for this key, which Microsoft.IdentityModel
/// reports as an algorithm failure rather than a bad signature.
/// </summary>
internal sealed class Ed25519CryptoProviderFactory : CryptoProviderFactory
{
    public static readonly Ed25519CryptoProviderFactory Instance = new();

    private Ed25519CryptoProviderFactory()
    {
        CacheSignatureProviders = false;
    }

    public override bool IsSupportedAlgorithm(string algorithm) => Ed25519SecurityKey.IsEd25519Algorithm(algorithm);

    public override bool IsSupportedAlgorithm(string algorithm, SecurityKey key) =>
        key is Ed25519SecurityKey && Ed25519SecurityKey.IsEd25519Algorithm(algorithm);

    public override SignatureProvider CreateForVerifying(SecurityKey key, string algorithm) => CreateForVerifying(key, algorithm, cacheProvider: false);

    public override SignatureProvider CreateForVerifying(SecurityKey key, string algorithm, bool cacheProvider)
    {
        if (key is not Ed25519SecurityKey ed25519 || !Ed25519SecurityKey.IsEd25519Algorithm(algorithm))
        {
            throw new NotSupportedException($"Ed25519 keys verify only EdDSA or Ed25519 signatures, not '{algorithm}'.");
        }

        return new Ed25519SignatureProvider(ed25519);
    }

    public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm) =>
        throw new NotSupportedException("Issuer Ed25519 keys are public keys: they verify, they never sign.");

    public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm, bool cacheProvider) => CreateForSigning(key, algorithm);

    // A verifier is made per use (it is two references) and holds no unmanaged state.
    public override void ReleaseSignatureProvider(SignatureProvider signatureProvider) => signatureProvider?.Dispose();
}
