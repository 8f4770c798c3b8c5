using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Arcp.DPoP;

/// <summary>
/// Step 7: the proof's signature verifies with the proof's own <c>jwk</c> (RFC 9449 §4.3 item 6), its size checked
/// first; Ed25519 strictly (RFC 8032 §5.1.7). Keys come from the header's pool, imported on first use.
/// </summary>
internal static class ProofSignature
{
    /// <summary>Null when the signature verifies; a header that is not cached loses its imported key on failure.</summary>
    public static DPoPFailure? Verify(ParsedProof parsed)
    {
        var failure = VerifyCore(parsed);
        if (failure is not null && !parsed.HeaderCached)
        {
            // A header that is not kept: its imported key goes now, not with the garbage collector.
            parsed.Header?.Keys.Evict();
        }

        return failure;
    }

    private static DPoPFailure? VerifyCore(ParsedProof parsed)
    {
        var algorithm = parsed.Algorithm!;
        string proof = parsed.Raw;
        ReadOnlySpan<char> signaturePart = proof.AsSpan(parsed.SignatureStart);
        int signingInputLength = parsed.SignatureStart - 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(signingInputLength + Base64UrlStrict.MaxDecodedLength(signaturePart.Length));
        try
        {
            int written = Encoding.ASCII.GetBytes(proof.AsSpan(0, signingInputLength), buffer);
            ReadOnlySpan<byte> signingInput = buffer.AsSpan(0, written);
            if (!Base64UrlStrict.TryDecode(signaturePart, buffer.AsSpan(written), out int signatureLength))
            {
                return DPoPFailures.SignatureNotBase64Url;
            }

            ReadOnlySpan<byte> signature = buffer.AsSpan(written, signatureLength);
            if (algorithm.IsEdDsa)
            {
                return VerifyEd25519(parsed.Header!, signingInput, signature);
            }

            if (algorithm.KeyType == "EC" && signature.Length != 2 * algorithm.CoordinateSize)
            {
                return DPoPFailures.SignatureSize(algorithm.Name, 2 * algorithm.CoordinateSize, signature.Length);
            }

            var pool = parsed.Header!.Keys;
            var key = pool.TryRent();
            if (key is null)
            {
                var imported = ProofKeyImport.Import(parsed.Jwk!, algorithm);
                if (imported.Value is not { } fresh)
                {
                    return imported.Failure;
                }

                key = fresh;
            }

            bool valid;
            try
            {
                if (key is ECDsa ecdsa)
                {
                    // The hash on the stack and the span overload (IEEE P1363, the JWS form): the same verification as
                    // VerifyData with a format argument, without the 0.2 KB that overload allocates per call.
                    Span<byte> hash = stackalloc byte[64];
                    int hashLength = CryptographicOperations.HashData(algorithm.Hash, signingInput, hash);
                    valid = ecdsa.VerifyHash(hash[..hashLength], signature);
                }
                else
                {
                    var rsa = (RSA)key;
                    int size = (rsa.KeySize + 7) / 8;
                    if (signature.Length != size)
                    {
                        return DPoPFailures.RsaSignatureSize(algorithm.Name, size, signature.Length);
                    }

                    valid = rsa.VerifyData(signingInput, signature, algorithm.Hash, algorithm.Padding!);
                }
            }
            finally
            {
                pool.Return(key);
            }

            return valid ? null : DPoPFailures.SignatureDoesNotVerify;
        }
        catch (CryptographicException)
        {
            return DPoPFailures.SignatureNotVerifiable;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Strict RFC 8032 §5.1.7 verification; the key was checked (canonical, not small-order) with the header.</summary>
    private static DPoPFailure? VerifyEd25519(ProofHeader header, ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519Encoding.SignatureSize)
        {
            return DPoPFailures.SignatureSize("Ed25519", Ed25519Encoding.SignatureSize, signature.Length);
        }

        if (!Ed25519Encoding.IsCanonicalScalar(signature[Ed25519Encoding.PublicKeySize..]))
        {
            return DPoPFailures.Ed25519SignatureNotCanonical;
        }

        // libsodium's verification is strict as well (canonical R and A, no small-order R or A, S < L): the checks above
        // only give the precise reason. A PublicKey is immutable, so one instance per header serves every thread.
        if (header.Ed25519Key is not { } key)
        {
            return DPoPFailures.Ed25519NotImportable;
        }

        return Ed25519Verifier.Verify(key, signingInput, signature) ? null : DPoPFailures.SignatureDoesNotVerify;
    }
}
