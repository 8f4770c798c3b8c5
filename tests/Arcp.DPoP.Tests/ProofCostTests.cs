using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.Tests;

/// <summary>
/// Issue 11 items 8, 9 and 14: what an unauthenticated caller can make the server spend. The proof-header cache
/// keeps only headers whose signature verified and is bounded in bytes; RSA keys are bounded in size and exponent
/// before any public-key operation; duplicate-member detection is linear in the number of members.
/// </summary>
public sealed class ProofCostTests : ProofValidatorTestBase
{
    private static ProofBuilder Proof(TestKey key) => new ProofBuilder(key, "POST", Uri).At(Now).ForToken(Token);

    [Fact]
    public void Proofs_whose_signature_does_not_verify_never_enter_the_header_cache()
    {
        var validator = Validator();
        for (int i = 0; i < 50; i++)
        {
            // A distinct, well-formed public key in every header, and a signature that does not verify.
            using var key = TestKey.Create();
            var result = validator.Validate(Proof(key).Build(_ => new byte[64]), "POST", Uri, Token);
            Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, result.Failure?.Code);
        }

        Assert.Equal(0, validator.CachedHeaderCount);
        Assert.True(validator.Validate(Proof(Key).Build(), "POST", Uri, Token).IsValid);
        Assert.Equal(1, validator.CachedHeaderCount);
    }

    [Fact]
    public void Proofs_refused_after_the_header_checks_never_enter_the_header_cache()
    {
        var validator = Validator();
        using var key = TestKey.Create();
        Assert.Equal(DPoPFailureCode.HtmMismatch, validator.Validate(Proof(key).Build(), "GET", Uri, Token).Failure?.Code);
        Assert.Equal(DPoPFailureCode.AthInvalid, validator.Validate(Proof(key).Build(), "POST", Uri, "another.token.value").Failure?.Code);
        Assert.Equal(0, validator.CachedHeaderCount);
    }

    [Fact]
    public void The_header_cache_is_bounded_in_bytes()
    {
        var cache = new ProofHeaderCache(maxBytes: 16 * 1024);
        for (int i = 0; i < 200; i++)
        {
            // Headers of about 1 KB each: far fewer fit in 16 KB than the entry limit allows.
            string encoded = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(768));
            _ = cache.Add(encoded, new ProofHeader());
            Assert.True(cache.Bytes <= 16 * 1024, $"{cache.Bytes} bytes cached");
        }

        Assert.InRange(cache.Count, 1, 16);
    }

    [Fact]
    public void An_8192_bit_RSA_key_is_refused_by_default_before_any_signature_work()
    {
        var failure = Validator().Validate(FakeRsaProof(8192, [1, 0, 1]), "POST", Uri, Token).Failure;
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure?.Code);
        Assert.Contains("8192 bits; at most 4096 are accepted", failure!.Detail, StringComparison.Ordinal);
        Assert.Contains("MaxRsaKeySize", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxRsaKeySize_can_allow_larger_keys()
    {
        // The fake key is then accepted by the key policy, and refused only by its (made-up) signature.
        var failure = Validator(o => o.MaxRsaKeySize = 8192).Validate(FakeRsaProof(8192, [1, 0, 1]), "POST", Uri, Token).Failure;
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, failure?.Code);
    }

    [Theory]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF })]
    [InlineData(new byte[] { 1, 0, 3 })]
    [InlineData(new byte[] { 1, 0, 0 })]
    [InlineData(new byte[] { 1 })]
    public void An_RSA_exponent_outside_the_policy_is_refused_before_any_signature_work(byte[] exponent)
    {
        var failure = Validator().Validate(FakeRsaProof(2048, exponent), "POST", Uri, Token).Failure;
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure?.Code);
        Assert.Contains("exponent", failure!.Detail, StringComparison.Ordinal);
    }

    // An RSA jwk with an odd modulus of exactly `bits` bits and no private key: whatever it signs cannot verify.
    private static string FakeRsaProof(int bits, byte[] exponent)
    {
        byte[] modulus = RandomNumberGenerator.GetBytes(bits / 8);
        modulus[0] |= 0x80;
        modulus[^1] |= 1;
        using var key = TestKey.Create();
        var builder = Proof(key).With(h =>
        {
            h["alg"] = "PS256";
            h["jwk"] = new JsonObject { ["kty"] = "RSA", ["n"] = Base64Url.EncodeToString(modulus), ["e"] = Base64Url.EncodeToString(exponent) };
        });
        return builder.Build(_ => RandomNumberGenerator.GetBytes(bits / 8));
    }

    [Fact]
    public void Duplicate_member_detection_is_linear_in_the_number_of_members()
    {
        const int members = 20_000;
        var comparer = new CountingComparer();
        var guard = new DuplicateMemberGuard(comparer);
        for (int i = 0; i < members; i++)
        {
            Assert.True(guard.Add("m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.False(guard.Add("m42"));

        // A quadratic guard makes members²/2 = 2·10^8 comparisons here; a linear one a small multiple of members.
        Assert.True(comparer.Calls < 10L * members, $"{comparer.Calls} comparisons for {members} members");
    }

    private sealed class CountingComparer : IEqualityComparer<string>
    {
        public long Calls { get; private set; }

        public bool Equals(string? x, string? y)
        {
            Calls++;
            return string.Equals(x, y, StringComparison.Ordinal);
        }

        public int GetHashCode(string obj)
        {
            Calls++;
            return StringComparer.Ordinal.GetHashCode(obj);
        }
    }
}
