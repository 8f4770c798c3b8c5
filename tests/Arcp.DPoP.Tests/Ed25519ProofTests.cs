using System.Buffers.Text;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.Time.Testing;
using NSec.Cryptography;

namespace Arcp.DPoP.Tests;

/// <summary>
/// Ed25519 proofs (RFC 8037 "EdDSA", RFC 9864 "Ed25519"): the RFC vectors, and each refusal of strict RFC 8032
/// verification with the detail a client developer reads.
/// </summary>
public sealed class Ed25519ProofTests : IDisposable
{
    private const string Uri = "https://api.example.com/agents/register";
    private const string Token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln";
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    // L, the order of the Ed25519 base point (RFC 8032 §5.1).
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);

    private readonly FakeTimeProvider _clock = new(Now);
    private readonly TestKey _key = TestKey.Create("EdDSA");

    public void Dispose() => _key.Dispose();

    private static System.Text.Json.JsonElement EdDsaVectors => Vectors.Root.GetProperty("eddsa");

    private DPoPProofValidator Validator() => new(new DPoPOptions { TimeProvider = _clock });

    private ProofBuilder Proof(TestKey? key = null) => new ProofBuilder(key ?? _key, "POST", Uri).At(Now).ForToken(Token);

    private DPoPFailure Fails(string proof)
    {
        var result = Validator().Validate(proof, "POST", Uri, Token);
        Assert.False(result.IsValid, "the proof should have been refused");
        Assert.Same(DPoPProblemTypes.DPoPInvalid, result.Failure.ProblemType);
        return result.Failure;
    }

    private static void AssertKeyRefused(DPoPFailure failure, string expected)
    {
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure.Code);
        Assert.Contains(expected, failure.Detail, StringComparison.Ordinal);
    }

    private static void AssertSignatureRefused(DPoPFailure failure, string expected)
    {
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, failure.Code);
        Assert.Contains(expected, failure.Detail, StringComparison.Ordinal);
    }

    private static byte[] Seed() => Base64Url.DecodeFromChars(EdDsaVectors.GetProperty("rfc8037_a1_private_jwk").GetProperty("d").GetString());

    [Fact]
    public void The_RFC_8037_A1_private_key_has_the_A2_public_key()
    {
        using var key = TestKey.FromEd25519Seed(Seed());
        Assert.Equal(EdDsaVectors.GetProperty("rfc8037_a2_public_jwk").GetProperty("x").GetString(), (string)key.PublicJwk()["x"]!);
    }

    [Fact]
    public void The_RFC_8037_A3_thumbprint_covers_crv_kty_x()
    {
        string expected = EdDsaVectors.GetProperty("rfc8037_a3_thumbprint").GetString()!;
        Assert.Equal(expected, JwkThumbprint.Compute(EdDsaVectors.GetProperty("rfc8037_a2_public_jwk").GetRawText()));

        // Members outside {crv, kty, x} (here the private d, alg and use) do not change it (RFC 7638 §3.2).
        Assert.Equal(expected, JwkThumbprint.Compute(
            """{"use":"sig","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"EdDSA","kty":"OKP","crv":"Ed25519"}"""));
    }

    [Fact]
    public void The_RFC_8037_A4_JWS_verifies_and_is_what_the_A1_key_signs()
    {
        string jws = EdDsaVectors.GetProperty("rfc8037_a4_jws").GetProperty("jws").GetString()!;
        int lastDot = jws.LastIndexOf('.');
        byte[] input = Encoding.ASCII.GetBytes(jws[..lastDot]);
        byte[] signature = Base64Url.DecodeFromChars(jws.AsSpan(lastDot + 1));

        var publicKey = Ed25519Verifier.Import(EdDsaVectors.GetProperty("rfc8037_a2_public_jwk").GetProperty("x").GetString()!)!;
        Assert.True(Ed25519Verifier.Verify(publicKey, input, signature));

        // Ed25519 is deterministic (RFC 8032 §5.1.6): the A.1 key makes exactly the A.4 signature.
        using var key = TestKey.FromEd25519Seed(Seed());
        Assert.Equal(signature, key.Sign(input));

        input[^1] ^= 1;
        Assert.False(Ed25519Verifier.Verify(publicKey, input, signature));
    }

    public static TheoryData<string> DPoPVectorAlgorithms() => ["EdDSA", "Ed25519"];

    [Theory]
    [MemberData(nameof(DPoPVectorAlgorithms))]
    public void The_DPoP_proof_vectors_validate_with_a_clock_at_their_iat(string alg)
    {
        var vector = EdDsaVectors.GetProperty("dpop_proofs").EnumerateArray().Single(v => v.GetProperty("alg").GetString() == alg);
        var payload = vector.GetProperty("payload");
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(payload.GetProperty("iat").GetInt64()));
        var validator = new DPoPProofValidator(new DPoPOptions { TimeProvider = clock });

        var result = validator.Validate(vector.GetProperty("proof").GetString()!, payload.GetProperty("htm").GetString()!, payload.GetProperty("htu").GetString()!);

        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(alg, result.Proof.Algorithm);
        Assert.Equal("OKP", result.Proof.KeyType);
        Assert.Equal(vector.GetProperty("jkt").GetString(), result.Proof.Jkt);
        Assert.Equal(EdDsaVectors.GetProperty("rfc8037_a3_thumbprint").GetString(), result.Proof.Jkt);
        Assert.Equal(payload.GetProperty("jti").GetString(), result.Proof.Jti);

        // The same proof a minute and a half later is stale, not accepted.
        clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(DPoPFailureCode.IatInvalid, validator.Validate(vector.GetProperty("proof").GetString()!, "POST", payload.GetProperty("htu").GetString()!).Failure?.Code);
    }

    [Theory]
    [InlineData("EdDSA", "Ed25519")]
    [InlineData("Ed25519", "EdDSA")]
    [InlineData("EdDSA", "EdDSA")]
    public void Jwk_alg_EdDSA_and_Ed25519_name_the_same_key_type(string headerAlg, string jwkAlg)
    {
        var proof = Proof().With(h =>
        {
            h["alg"] = headerAlg;
            h["jwk"]!["alg"] = jwkAlg;
        }).Build();
        var result = Validator().Validate(proof, "POST", Uri, Token);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(headerAlg, result.Proof.Algorithm);
        Assert.Equal(_key.Jkt, result.Proof.Jkt);
    }

    [Fact]
    public void Only_the_allowed_Ed25519_name_is_accepted()
    {
        var options = new DPoPOptions { TimeProvider = _clock };
        options.AllowedAlgorithms.Clear();
        options.AllowedAlgorithms.Add("Ed25519");
        var validator = new DPoPProofValidator(options);
        Assert.True(validator.Validate(Proof().With(h => h["alg"] = "Ed25519").Build(), "POST", Uri, Token).IsValid);
        var failure = validator.Validate(Proof().Build(), "POST", Uri, Token).Failure!;
        Assert.Equal(DPoPFailureCode.ProofAlgorithmNotAllowed, failure.Code);
        Assert.Contains("alg 'EdDSA' is not allowed", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crv", "Ed448", "crv Ed448 is not supported; alg EdDSA needs an Ed25519 key")]
    [InlineData("crv", "X25519", "crv X25519 is a key-agreement (ECDH) key, which cannot sign")]
    [InlineData("crv", "X448", "crv X448 is a key-agreement (ECDH) key")]
    [InlineData("crv", "P-256", "alg EdDSA needs crv Ed25519, but the jwk's crv is 'P-256'")]
    [InlineData("kty", "EC", "alg EdDSA needs a key of kty 'OKP', but the jwk's kty is 'EC'")]
    [InlineData("alg", "ES256", "the jwk is for alg 'ES256' but the proof is signed with EdDSA")]
    [InlineData("alg", "Ed448", "the jwk is for alg 'Ed448' but the proof is signed with EdDSA")]
    [InlineData("y", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "has only 'x', but this one also has 'y'")]
    [InlineData("d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", "the private or symmetric member 'd'")]
    [InlineData("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ", "x must be the 32-byte Ed25519 public key")]
    [InlineData("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURoAA", "x must be the 32-byte Ed25519 public key")]
    [InlineData("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp", "x must be the 32-byte Ed25519 public key")]
    [InlineData("x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "x must be the 32-byte Ed25519 public key")]
    [InlineData("x", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo", "x must be the 32-byte Ed25519 public key")]
    public void A_jwk_that_is_not_an_Ed25519_public_key_is_refused(string member, string value, string expected)
    {
        // x ending in 'p' has non-zero unused bits: not canonical base64url, though it decodes to 32 bytes.
        AssertKeyRefused(Fails(Proof().With(h => h["jwk"]![member] = value).Build()), expected);
    }

    [Fact]
    public void A_jwk_without_crv_is_refused()
    {
        AssertKeyRefused(Fails(Proof().With(h => h["jwk"]!.AsObject().Remove("crv")).Build()), "an OKP jwk needs 'crv'");
    }

    [Fact]
    public void An_OKP_key_for_an_EC_alg_is_refused()
    {
        AssertKeyRefused(Fails(Proof().With(h => h["alg"] = "ES256").Build()), "alg ES256 needs a key of kty 'EC', but the jwk's kty is 'OKP'");
    }

    [Fact]
    public void A_public_key_not_reduced_modulo_p_is_refused_even_with_a_signature_lax_verifiers_accept()
    {
        // y = p + 1 encodes the identity non-canonically; the forged signature below verifies for the identity
        // under a verifier that neither checks canonical encodings nor small order.
        byte[] key = new byte[32];
        key.AsSpan().Fill(0xFF);
        key[0] = 0xEE;
        key[31] = 0x7F;
        var failure = Fails(ForgedForIdentity(key));
        AssertKeyRefused(failure, "the Ed25519 public key x is not canonical: its y coordinate is not reduced modulo 2^255 - 19");
    }

    [Fact]
    public void A_public_key_that_is_not_on_the_curve_is_refused()
    {
        byte[] key = new byte[32];
        key[0] = 2; // y = 2 has no x on edwards25519
        AssertKeyRefused(Fails(Proof().With(h => h["jwk"]!["x"] = Base64Url.EncodeToString(key)).Build()), "the Ed25519 public key x is not a point on the curve");

        key[0] = 1;
        key[31] = 0x80; // y = 1 with the sign bit of a non-zero x, but x = 0 (RFC 8032 §5.1.3 step 4)
        AssertKeyRefused(Fails(Proof().With(h => h["jwk"]!["x"] = Base64Url.EncodeToString(key)).Build()), "not a point on the curve");
    }

    public static TheoryData<string, string> SmallOrderKeys() => new()
    {
        { "0100000000000000000000000000000000000000000000000000000000000000", "identity, order 1" },
        { "ECFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F", "order 2" },
        { "0000000000000000000000000000000000000000000000000000000000000000", "order 4" },
        { "0000000000000000000000000000000000000000000000000000000000000080", "order 4, other sign" },
        { "C7176A703D4DD84FBA3C0B760D10670F2A2053FA2C39CCC64EC7FD7792AC037A", "order 8" },
        { "C7176A703D4DD84FBA3C0B760D10670F2A2053FA2C39CCC64EC7FD7792AC03FA", "order 8, other sign" },
        { "26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC05", "order 8, p - y" },
        { "26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC85", "order 8, p - y, other sign" },
    };

    [Theory]
    [MemberData(nameof(SmallOrderKeys))]
    public void A_small_order_public_key_is_refused_by_name(string hex, string which)
    {
        byte[] key = Convert.FromHexString(hex);
        Assert.True(IsSmallOrder(key), which);
        var failure = Fails(ForgedForIdentity(key));
        AssertKeyRefused(failure, "the Ed25519 public key x is a point of small order");
    }

    [Fact]
    public void The_forged_identity_signature_is_refused_by_libsodium_too()
    {
        // Defence in depth: without our key checks the library would still refuse it (strict verification).
        byte[] identity = Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000000");
        string proof = ForgedForIdentity(identity);
        int lastDot = proof.LastIndexOf('.');
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, identity, KeyBlobFormat.RawPublicKey);
        Assert.False(SignatureAlgorithm.Ed25519.Verify(publicKey, Encoding.ASCII.GetBytes(proof[..lastDot]), Base64Url.DecodeFromChars(proof.AsSpan(lastDot + 1))));
    }

    [Fact]
    public void A_signature_whose_S_is_not_reduced_modulo_L_is_refused()
    {
        var builder = Proof();
        string valid = builder.Build();
        Assert.True(Validator().Validate(valid, "POST", Uri, Token).IsValid);

        // (R, S + L) verifies under a verifier that reduces S modulo L: a second signature for the same proof.
        string malleated = builder.Build(input =>
        {
            byte[] signature = _key.Sign(input);
            var s = new BigInteger(signature.AsSpan(32), isUnsigned: true) + L;
            Assert.True(s.TryWriteBytes(signature.AsSpan(32), out int written, isUnsigned: true));
            Assert.Equal(32, written);
            return signature;
        });

        AssertSignatureRefused(Fails(malleated), "its S is not reduced modulo the group order L");

        // libsodium refuses it on its own as well.
        int lastDot = malleated.LastIndexOf('.');
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, _key.Ed25519PublicKey, KeyBlobFormat.RawPublicKey);
        Assert.False(SignatureAlgorithm.Ed25519.Verify(publicKey, Encoding.ASCII.GetBytes(malleated[..lastDot]), Base64Url.DecodeFromChars(malleated.AsSpan(lastDot + 1))));
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(32)]
    public void A_signature_of_the_wrong_length_is_refused(int length)
    {
        string proof = Proof().Build(input =>
        {
            byte[] signature = _key.Sign(input);
            Array.Resize(ref signature, length);
            return signature;
        });
        AssertSignatureRefused(Fails(proof), $"an Ed25519 signature is 64 bytes (R || S), this one is {length}");
    }

    [Fact]
    public void A_signature_by_another_Ed25519_key_is_refused()
    {
        using var other = TestKey.Create("EdDSA");
        string proof = Proof().Build(input => other.Sign(input));
        AssertSignatureRefused(Fails(proof), "it does not verify with the proof's jwk");
    }

    [Fact]
    public void A_changed_payload_breaks_the_signature()
    {
        string proof = Proof().Build();
        var parts = proof.Split('.');
        string payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"POST\"", "\"GET\"", StringComparison.Ordinal);
        string changed = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + "." + parts[2];
        var result = Validator().Validate(changed, "GET", Uri, Token);
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, result.Failure?.Code);
    }

    [Fact]
    public void The_header_cache_reuses_the_imported_key_and_still_checks_every_signature()
    {
        var validator = Validator();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(validator.Validate(Proof().Build(), "POST", Uri, Token).IsValid);
        }

        Assert.Equal(1, validator.CachedHeaderCount);
        using var other = TestKey.Create("EdDSA");
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, validator.Validate(Proof().Build(input => other.Sign(input)), "POST", Uri, Token).Failure?.Code);
    }

    [Fact]
    public async Task One_shared_imported_key_verifies_concurrently_and_still_refuses_a_wrong_signature()
    {
        var validator = new DPoPProofValidator(new DPoPOptions { TimeProvider = _clock, ProofLifetime = TimeSpan.FromMinutes(10) });
        using var other = TestKey.Create("EdDSA");
        string[] valid = Enumerable.Range(0, 64).Select(_ => Proof().Build()).ToArray();
        string[] forged = Enumerable.Range(0, 64).Select(_ => Proof().Build(input => other.Sign(input))).ToArray();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            int accepted = 0;
            for (int i = 0; i < 64; i++)
            {
                accepted += validator.Validate(valid[i], "POST", Uri, Token).IsValid ? 1 : 0;
                accepted += validator.Validate(forged[i], "POST", Uri, Token).IsValid ? 1 : 0;
            }

            return accepted;
        })));

        Assert.All(results, accepted => Assert.Equal(64, accepted));
        Assert.Equal(1, validator.CachedHeaderCount); // one header text, one imported key
    }

    [Fact]
    public void Real_public_keys_pass_every_encoding_check()
    {
        // No false refusal: 500 keys from libsodium are canonical, on the curve and of large order.
        for (int i = 0; i < 500; i++)
        {
            using var key = Key.Create(SignatureAlgorithm.Ed25519);
            byte[] raw = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
            Assert.True(Ed25519Encoding.IsCanonicalPoint(raw), Convert.ToHexString(raw));
            Assert.True(Ed25519Encoding.IsOnCurve(raw), Convert.ToHexString(raw));
            Assert.False(Ed25519Encoding.IsSmallOrder(raw), Convert.ToHexString(raw));
        }
    }

    [Fact]
    public void About_half_of_all_y_values_are_on_the_curve()
    {
        // x^2 = (y^2 - 1) / (d y^2 + 1) has a root for about half of the y: the check is neither all-pass nor all-fail.
        var random = new Random(8032);
        byte[] y = new byte[32];
        int onCurve = 0;
        for (int i = 0; i < 1000; i++)
        {
            random.NextBytes(y);
            y[31] &= 0x3F; // canonical
            onCurve += Ed25519Encoding.IsOnCurve(y) ? 1 : 0;
        }

        Assert.InRange(onCurve, 420, 580);
    }

    /// <summary>
    /// A proof "signed" for the public key <paramref name="publicKey"/> with R = r·B and S = r: it verifies under
    /// S·B = R + k·A whenever A is the identity, whatever the message — the forgery strict verification prevents.
    /// </summary>
    private string ForgedForIdentity(byte[] publicKey)
    {
        byte[] rSeed = RandomNumberGenerator.GetBytes(32);
        using var r = TestKey.FromEd25519Seed(rSeed);
        byte[] h = SHA512.HashData(rSeed);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        var scalar = new BigInteger(h.AsSpan(0, 32), isUnsigned: true) % L;
        byte[] signature = new byte[64];
        r.Ed25519PublicKey.CopyTo(signature, 0);
        scalar.TryWriteBytes(signature.AsSpan(32), out _, isUnsigned: true);
        var jwk = new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed25519", ["x"] = Base64Url.EncodeToString(publicKey) };
        return Proof().With(h => h["jwk"] = jwk).Build(_ => signature);
    }

    // Independent of the code under test: [8]P is the identity, by the Edwards addition law (RFC 8032 §5.1.4).
    private static bool IsSmallOrder(byte[] encoded)
    {
        var p = BigInteger.Pow(2, 255) - 19;
        BigInteger Mod(BigInteger v) => ((v % p) + p) % p;
        BigInteger Inv(BigInteger v) => BigInteger.ModPow(Mod(v), p - 2, p);
        var d = Mod(-121665 * Inv(121666));
        byte[] yBytes = (byte[])encoded.Clone();
        bool sign = (yBytes[31] & 0x80) != 0;
        yBytes[31] &= 0x7F;
        var y = new BigInteger(yBytes, isUnsigned: true);
        var xx = Mod((y * y) - 1) * Inv((d * y * y) + 1) % p;
        var x = BigInteger.ModPow(xx, (p + 3) / 8, p);
        if (Mod((x * x) - xx) != 0)
        {
            x = x * BigInteger.ModPow(2, (p - 1) / 4, p) % p;
        }

        if (Mod((x * x) - xx) != 0)
        {
            return false;
        }

        if (x.IsEven == sign)
        {
            x = Mod(-x);
        }

        (BigInteger X, BigInteger Y) point = (x, y);
        for (int i = 0; i < 3; i++)
        {
            var (x1, y1) = point;
            var t = d * x1 * x1 % p * y1 % p * y1 % p;
            point = (Mod(((x1 * y1) + (y1 * x1)) * Inv(1 + t)), Mod(((y1 * y1) + (x1 * x1)) * Inv(1 - t)));
        }

        return point.X.IsZero && point.Y == 1;
    }
}
