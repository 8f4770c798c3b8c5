using System.Numerics;
using System.Security.Cryptography;
using NSec.Cryptography;
using BcEd25519 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Arcp.DPoP.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Arcp.DPoP.Benchmarks -- strictness</c>: which of the Ed25519 candidates
/// refuse, by themselves, the signatures that only lax verifiers accept (RFC 8032 §5.1.7 strict verification).
/// The validator checks all of these itself before calling the library; this is about the library alone.
/// </summary>
internal static class Ed25519Strictness
{
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);

    public static int Run()
    {
        byte[] message = "a DPoP proof's signing input"u8.ToArray();
        using var key = Key.Create(SignatureAlgorithm.Ed25519);
        byte[] publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        byte[] valid = SignatureAlgorithm.Ed25519.Sign(key, message);

        byte[] malleated = (byte[])valid.Clone();
        var s = new BigInteger(malleated.AsSpan(32), isUnsigned: true) + L;
        s.TryWriteBytes(malleated.AsSpan(32), out _, isUnsigned: true);

        // R = r·B and S = r verify for every message under S·B = R + k·A when A is the identity.
        byte[] forged = ForgedForIdentity();
        byte[] identity = new byte[32];
        identity[0] = 1;
        byte[] identityNonCanonical = new byte[32];
        identityNonCanonical.AsSpan().Fill(0xFF);
        identityNonCanonical[0] = 0xEE; // y = p + 1
        identityNonCanonical[31] = 0x7F;

        var cases = new (string Name, byte[] Key, byte[] Signature, bool Expected)[]
        {
            ("valid signature (sanity)", publicKey, valid, true),
            ("S + L (non-canonical S, malleability)", publicKey, malleated, false),
            ("small-order key (identity), forged signature", identity, forged, false),
            ("non-canonical key (y = p + 1), forged signature", identityNonCanonical, forged, false),
        };

        Console.WriteLine("| Case | expected | NSec (libsodium) | BouncyCastle |");
        Console.WriteLine("|---|---|---|---|");
        bool allStrict = true;
        foreach (var (name, pk, signature, expected) in cases)
        {
            bool nsec = PublicKey.TryImport(SignatureAlgorithm.Ed25519, pk, KeyBlobFormat.RawPublicKey, out var imported) &&
                SignatureAlgorithm.Ed25519.Verify(imported!, message, signature);
            bool bc = BcEd25519.Verify(signature, pk, message);
            Console.WriteLine($"| {name} | {Word(expected)} | {Word(nsec)} | {Word(bc)} |");
            allStrict &= nsec == expected;
        }

        return allStrict ? 0 : 1;

        byte[] ForgedForIdentity()
        {
            byte[] seed = RandomNumberGenerator.GetBytes(32);
            using var r = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
            byte[] h = SHA512.HashData(seed);
            h[0] &= 248;
            h[31] &= 127;
            h[31] |= 64;
            byte[] signature = new byte[64];
            r.PublicKey.Export(KeyBlobFormat.RawPublicKey).CopyTo(signature, 0);
            (new BigInteger(h.AsSpan(0, 32), isUnsigned: true) % L).TryWriteBytes(signature.AsSpan(32), out _, isUnsigned: true);
            return signature;
        }
    }

    private static string Word(bool verifies) => verifies ? "verifies" : "refused";
}
