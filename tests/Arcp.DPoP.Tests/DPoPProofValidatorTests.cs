using System.Buffers.Text;
using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.Tests;

public sealed class DPoPProofValidatorTests : ProofValidatorTestBase
{
    private ProofBuilder Proof(TestKey? key = null, string htm = "POST", string htu = Uri) =>
        new ProofBuilder(key ?? Key, htm, htu).At(Now).ForToken(Token);

    private DPoPFailure Fails(string proof, string method = "POST", string uri = Uri, string? token = Token, Action<DPoPOptions>? configure = null)
    {
        var result = Validator(configure).Validate(proof, method, uri, token);
        Assert.False(result.IsValid, "the proof should have been refused");
        return result.Failure;
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    [InlineData("ES256")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    [InlineData("PS256")]
    [InlineData("PS384")]
    [InlineData("PS512")]
    [InlineData("RS256")]
    [InlineData("RS384")]
    [InlineData("RS512")]
    public void Accepts_a_correct_proof_for_every_allowed_algorithm(string algorithm)
    {
        using var key = TestKey.Create(algorithm);
        var builder = Proof(key);
        var result = Validator().Validate(builder.Build(), "POST", Uri, Token);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(key.Jkt, result.Proof.Jkt);
        Assert.Equal(algorithm, result.Proof.Algorithm);
        Assert.Equal((string)builder.Payload["jti"]!, result.Proof.Jti);
        Assert.Equal(Now, result.Proof.IssuedAt);
        Assert.Equal("POST", result.Proof.Htm);
        Assert.Equal(Uri, result.Proof.Htu);
    }

    [Fact]
    public void A_proof_without_token_needs_no_ath()
    {
        var proof = new ProofBuilder(Key, "POST", Uri).At(Now).Build();
        Assert.True(Validator().Validate(proof, "POST", Uri).IsValid);
    }

    [Fact]
    public void Too_large_is_refused_before_parsing()
    {
        var failure = Fails(new string('a', 9000));
        Assert.Equal(DPoPFailureCode.ProofTooLarge, failure.Code);
        Assert.Contains("9000 characters; the limit is 8192", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData(".b.c")]
    [InlineData("a..c")]
    [InlineData("a.b.")]
    [InlineData("e30.e30.c2ln=")]
    [InlineData("e30=.e30.c2ln")]
    [InlineData("e3 0.e30.c2ln")]
    [InlineData("!!!.e30.c2ln")]
    [InlineData("bm90IGpzb24.e30.c2ln")]
    [InlineData("WzFd.e30.c2ln")]
    [InlineData("eyJ0eXAiOiJkcG9wK2p3dCJ9eA.e30.c2ln")]
    public void Garbage_is_malformed_never_an_exception(string proof)
    {
        var failure = Fails(proof);
        Assert.Contains(failure.Code, new[] { DPoPFailureCode.ProofMalformed, DPoPFailureCode.ProofMissing });
        Assert.Same(proof.Length == 0 ? DPoPProblemTypes.DPoPRequired : DPoPProblemTypes.DPoPInvalid, failure.ProblemType);
    }

    [Fact]
    public void A_signature_in_non_canonical_base64url_is_refused()
    {
        // An ES256 signature is 64 bytes: 86 characters whose last one has 4 unused bits. Setting one of them keeps
        // the decoded bytes, so without the canonical check the altered proof would still verify.
        string proof = Proof().Build();
        char last = proof[^1];
        string altered = proof[..^1] + (last == 'A' ? 'B' : (char)(last + 1));
        var failure = Fails(altered);
        Assert.Equal(DPoPFailureCode.ProofMalformed, failure.Code);
    }

    [Fact]
    public void Duplicate_header_members_are_refused()
    {
        var builder = Proof();
        builder.RawHeader = "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"alg\":\"none\",\"jwk\":" + Key.PublicJwk().ToJsonString() + "}";
        var failure = Fails(builder.Build());
        Assert.Equal(DPoPFailureCode.ProofMalformed, failure.Code);
        Assert.Contains("'alg' twice", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_claims_are_refused()
    {
        var builder = Proof();
        builder.RawPayload = builder.Payload.ToJsonString().TrimEnd('}') + ",\"htm\":\"GET\"}";
        var failure = Fails(builder.Build());
        Assert.Equal(DPoPFailureCode.ProofMalformed, failure.Code);
        Assert.Contains("'htm' twice", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_claim_spelled_with_a_JSON_escape_is_still_a_duplicate()
    {
        // Member names are matched as constants when written plainly (issue 14); an escaped spelling is the same name.
        var builder = Proof();
        builder.RawPayload = builder.Payload.ToJsonString().TrimEnd('}') + ",\"h\\u0074m\":\"GET\"}";
        var failure = Fails(builder.Build());
        Assert.Equal(DPoPFailureCode.ProofMalformed, failure.Code);
        Assert.Contains("'htm' twice", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_jwk_members_are_refused()
    {
        var jwk = Key.PublicJwk();
        var builder = Proof();
        builder.RawHeader = "{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":" + jwk.ToJsonString().TrimEnd('}') + ",\"x\":\"AAAA\"}}";
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, Fails(builder.Build()).Code);
    }

    [Fact]
    public void Deep_nesting_is_refused_without_an_exception()
    {
        var builder = Proof();
        builder.RawPayload = builder.Payload.ToJsonString().TrimEnd('}') + ",\"x\":" + new string('[', 5000) + new string(']', 5000) + "}";
        var failure = Fails(builder.Build(), configure: o => o.MaxProofLength = 65536);
        Assert.Equal(DPoPFailureCode.ProofMalformed, failure.Code);
    }

    [Fact]
    public void Invalid_utf8_in_a_claim_is_malformed_not_an_exception()
    {
        var builder = Proof();
        string header = Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(builder.Header.ToJsonString()));
        byte[] payload = System.Text.Encoding.UTF8.GetBytes("{\"jti\":\"ab\u00e5\",\"htm\":\"POST\"}");
        payload[10] = 0xE5; // a lone lead byte inside the jti string
        string input = header + "." + Base64Url.EncodeToString(payload);
        string proof = input + "." + Base64Url.EncodeToString(Key.Sign(System.Text.Encoding.ASCII.GetBytes(input)));
        Assert.Equal(DPoPFailureCode.ProofMalformed, Fails(proof).Code);
    }

    [Fact]
    public void Trailing_data_after_the_json_is_refused()
    {
        var builder = Proof();
        builder.RawPayload = builder.Payload.ToJsonString() + "{}";
        Assert.Equal(DPoPFailureCode.ProofMalformed, Fails(builder.Build()).Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("JWT")]
    [InlineData("at+jwt")]
    [InlineData("dpop")]
    public void Typ_must_be_dpop_jwt(string? typ)
    {
        var failure = Fails(Proof().With(h => h["typ"] = typ is null ? null : JsonValue.Create(typ)).Build());
        Assert.Equal(DPoPFailureCode.ProofTypeInvalid, failure.Code);
        Assert.Contains("dpop+jwt", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DPoP+JWT")]
    [InlineData("application/dpop+jwt")]
    public void Typ_is_a_case_insensitive_media_type(string typ)
    {
        Assert.True(Validator().Validate(Proof().With(h => h["typ"] = typ).Build(), "POST", Uri, Token).IsValid);
    }

    [Fact]
    public void Typ_or_alg_that_is_not_a_string_is_refused()
    {
        Assert.Equal(DPoPFailureCode.ProofTypeInvalid, Fails(Proof().With(h => h["typ"] = 1).Build()).Code);
        Assert.Equal(DPoPFailureCode.ProofTypeInvalid, Fails(Proof().With(h => h["typ"] = new JsonObject { ["alg"] = "none" }).Build()).Code);
        Assert.Equal(DPoPFailureCode.ProofAlgorithmNotAllowed, Fails(Proof().With(h => h["alg"] = new JsonArray("ES256")).Build()).Code);
    }

    [Fact]
    public void Iat_that_is_an_object_is_skipped_whole_and_refused()
    {
        var failure = Fails(Proof().With(_ => { }, p => p["iat"] = new JsonObject { ["htm"] = "POST" }).Build());
        Assert.Equal(DPoPFailureCode.IatInvalid, failure.Code);
    }

    [Fact]
    public void Alg_none_is_refused()
    {
        var builder = Proof().With(h => h["alg"] = "none");
        var failure = Fails(builder.Build(_ => []).TrimEnd('.') + ".AA");
        Assert.Equal(DPoPFailureCode.ProofAlgorithmNotAllowed, failure.Code);
        Assert.Contains("unsigned", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Hs256_keyed_with_the_public_jwk_is_refused()
    {
        var jwk = Key.PublicJwk();
        var builder = Proof().With(h => h["alg"] = "HS256");
        string proof = builder.Build(input => System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(jwk.ToJsonString()), input));
        var failure = Fails(proof);
        Assert.Equal(DPoPFailureCode.ProofAlgorithmNotAllowed, failure.Code);
        Assert.Contains("symmetric", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Alg_outside_the_allow_list_is_refused()
    {
        using var rsa = TestKey.Create("RS256");
        var failure = Fails(Proof(rsa).Build(), configure: o => { o.AllowedAlgorithms.Clear(); o.AllowedAlgorithms.Add("ES256"); });
        Assert.Equal(DPoPFailureCode.ProofAlgorithmNotAllowed, failure.Code);
        Assert.Contains("Use one of: ES256", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_alg_is_refused()
    {
        Assert.Equal(DPoPFailureCode.ProofAlgorithmNotAllowed, Fails(Proof().With(h => h.Remove("alg")).Build()).Code);
    }

    [Fact]
    public void Missing_jwk_is_refused()
    {
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, Fails(Proof().With(h => h.Remove("jwk")).Build()).Code);
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public void A_private_jwk_is_refused(string algorithm)
    {
        using var key = TestKey.Create(algorithm);
        var failure = Fails(Proof(key).With(h => h["jwk"] = key.PrivateJwk()).Build());
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure.Code);
        Assert.Contains("private", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symmetric_jwk_is_refused()
    {
        var failure = Fails(Proof().With(h => h["jwk"] = new JsonObject { ["kty"] = "oct", ["k"] = "c2VjcmV0" }).Build());
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure.Code);
    }

    [Fact]
    public void A_1024_bit_rsa_key_is_refused()
    {
        using var weak = TestKey.Create("RS256", rsaBits: 1024);
        var failure = Fails(Proof(weak).Build());
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure.Code);
        Assert.Contains("1024 bits; at least 2048", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_off_curve_point_is_refused()
    {
        var jwk = Key.PublicJwk();
        byte[] y = Base64Url.DecodeFromChars((string)jwk["y"]!);
        y[^1] ^= 0x01;
        jwk["y"] = Base64Url.EncodeToString(y);
        var failure = Fails(Proof().With(h => h["jwk"] = jwk).Build());
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure.Code);
        Assert.Contains("not on curve P-256", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crv", "P-384", "needs curve P-256")]
    [InlineData("kty", "RSA", "needs a key of kty 'EC'")]
    [InlineData("x", "AAAA", "32 bytes")]
    [InlineData("alg", "ES384", "is for alg 'ES384'")]
    public void A_jwk_that_does_not_fit_alg_is_refused(string member, string value, string expected)
    {
        var failure = Fails(Proof().With(h => h["jwk"]![member] = value).Build());
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, failure.Code);
        Assert.Contains(expected, failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_jwk_member_of_the_wrong_type_is_refused()
    {
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, Fails(Proof().With(h => h["jwk"]!["x"] = 12).Build()).Code);
        Assert.Equal(DPoPFailureCode.ProofKeyInvalid, Fails(Proof().With(h => h["jwk"] = "key").Build()).Code);
    }

    [Fact]
    public void Crit_is_refused()
    {
        var failure = Fails(Proof().With(h => h["crit"] = new JsonArray("exp")).Build());
        Assert.Equal(DPoPFailureCode.ProofMalformed, failure.Code);
        Assert.Contains("crit", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_by_another_key_is_refused()
    {
        using var other = TestKey.Create();
        var failure = Fails(Proof().Build(input => other.Sign(input)));
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, failure.Code);
    }

    [Fact]
    public void A_changed_payload_breaks_the_signature()
    {
        string proof = Proof().Build();
        string[] parts = proof.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        payload["jti"] = "another";
        string forged = parts[0] + "." + Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, Fails(forged).Code);
    }

    [Fact]
    public void A_signature_of_the_wrong_length_is_refused()
    {
        var failure = Fails(Proof().Build(input => Key.Sign(input)[..63]));
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, failure.Code);
        Assert.Contains("64 bytes", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_der_encoded_ecdsa_signature_is_refused()
    {
        var failure = Fails(Proof().Build(input => new byte[72]));
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, failure.Code);
    }

    [Theory]
    [InlineData("post")]
    [InlineData("GET")]
    public void Htm_must_equal_the_method_case_sensitively(string htm)
    {
        var failure = Fails(Proof(htm: htm).Build());
        Assert.Equal(DPoPFailureCode.HtmMismatch, failure.Code);
        Assert.Contains($"htm '{htm}' does not match the request method 'POST'", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_htm_is_refused()
    {
        Assert.Equal(DPoPFailureCode.HtmMismatch, Fails(Proof().With(_ => { }, p => p.Remove("htm")).Build()).Code);
    }

    [Theory]
    [InlineData("https://api.example.com/agents/other")]
    [InlineData("https://evil.example/agents/register")]
    [InlineData("http://api.example.com/agents/register")]
    [InlineData("/agents/register")]
    public void Htu_must_be_the_request_uri(string htu)
    {
        var failure = Fails(Proof(htu: htu).Build());
        Assert.Equal(DPoPFailureCode.HtuMismatch, failure.Code);
        Assert.Contains(Uri, failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Htu_ignores_the_query_of_the_request()
    {
        Assert.True(Validator().Validate(Proof().Build(), "POST", Uri + "?page=2", Token).IsValid);
    }

    [Fact]
    public void Missing_htu_or_htu_of_wrong_type_is_refused()
    {
        Assert.Equal(DPoPFailureCode.HtuMismatch, Fails(Proof().With(_ => { }, p => p.Remove("htu")).Build()).Code);
        Assert.Equal(DPoPFailureCode.HtuMismatch, Fails(Proof().With(_ => { }, p => p["htu"] = 5).Build()).Code);
    }

    [Fact]
    public void Iat_too_old_names_its_age_and_the_window()
    {
        var failure = Fails(Proof().At(Now.AddSeconds(-412)).Build());
        Assert.Equal(DPoPFailureCode.IatInvalid, failure.Code);
        Assert.Contains("iat is 412 s in the past; the allowed window is 60 s", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Iat_at_the_edges_of_the_window_is_accepted()
    {
        Assert.True(Validator().Validate(Proof().At(Now.AddSeconds(-60)).Build(), "POST", Uri, Token).IsValid);
        Assert.True(Validator().Validate(Proof().At(Now.AddSeconds(5)).Build(), "POST", Uri, Token).IsValid);
    }

    [Fact]
    public void Iat_in_the_future_beyond_the_skew_is_refused()
    {
        var failure = Fails(Proof().At(Now.AddSeconds(30)).Build());
        Assert.Equal(DPoPFailureCode.IatInvalid, failure.Code);
        Assert.Contains("iat is 30 s in the future; the allowed clock skew is 5 s", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_window_follows_the_options()
    {
        var failure = Fails(Proof().At(Now.AddSeconds(-20)).Build(), configure: o => o.ProofLifetime = TimeSpan.FromSeconds(10));
        Assert.Contains("allowed window is 10 s", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"1764331200\"")]
    [InlineData("1e400")]
    [InlineData("-1e308")]
    [InlineData("1e308")]
    [InlineData("99999999999999999999999999999999")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    public void Iat_that_is_not_a_usable_number_is_refused_without_an_exception(string iat)
    {
        var builder = Proof();
        builder.RawPayload = builder.Payload.ToJsonString().Replace("\"iat\":" + Now.ToUnixTimeSeconds(), "\"iat\":" + iat, StringComparison.Ordinal);
        var failure = Fails(builder.Build());
        Assert.Contains(failure.Code, new[] { DPoPFailureCode.IatInvalid, DPoPFailureCode.ProofMalformed });
    }

    [Fact]
    public void Missing_iat_is_refused()
    {
        Assert.Equal(DPoPFailureCode.IatInvalid, Fails(Proof().With(_ => { }, p => p.Remove("iat")).Build()).Code);
    }

    [Fact]
    public void Missing_jti_is_refused()
    {
        Assert.Equal(DPoPFailureCode.JtiInvalid, Fails(Proof().With(_ => { }, p => p.Remove("jti")).Build()).Code);
        Assert.Equal(DPoPFailureCode.JtiInvalid, Fails(Proof().With(_ => { }, p => p["jti"] = "").Build()).Code);
        Assert.Equal(DPoPFailureCode.JtiInvalid, Fails(Proof().With(_ => { }, p => p["jti"] = 7).Build()).Code);
    }

    [Fact]
    public void An_overlong_jti_is_refused()
    {
        var failure = Fails(Proof().With(_ => { }, p => p["jti"] = new string('j', 257)).Build());
        Assert.Equal(DPoPFailureCode.JtiInvalid, failure.Code);
    }

    [Fact]
    public void Ath_is_required_with_a_token()
    {
        var failure = Fails(Proof().With(_ => { }, p => p.Remove("ath")).Build());
        Assert.Equal(DPoPFailureCode.AthInvalid, failure.Code);
        Assert.Contains("no ath", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other-token")]
    [InlineData(Token + "x")]
    public void Ath_must_hash_the_presented_token(string otherToken)
    {
        var failure = Fails(Proof().Build(), token: otherToken);
        Assert.Equal(DPoPFailureCode.AthInvalid, failure.Code);
    }

    [Fact]
    public void Ath_with_non_ascii_characters_is_refused()
    {
        string ath = ProofBuilder.Ath(Token);
        string twisted = (char)(ath[0] + 0x100) + ath[1..];
        Assert.Equal(DPoPFailureCode.AthInvalid, Fails(Proof().With(_ => { }, p => p["ath"] = twisted).Build()).Code);
    }

    [Fact]
    public void Unknown_claims_and_headers_are_ignored()
    {
        var proof = Proof().With(h => h["kid"] = "k1", p => { p["extra"] = new JsonObject { ["deep"] = new JsonArray(1, 2) }; p["nonce"] = "n1"; }).Build();
        var result = Validator().Validate(proof, "POST", Uri, Token);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal("n1", result.Proof.Nonce);
    }

    [Fact]
    public void Client_values_quoted_back_are_sanitised()
    {
        var failure = Fails(Proof(htm: "GET\r\nX-Evil: 1\"" + new string('A', 200)).Build());
        Assert.DoesNotContain("\r", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", failure.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('A', 100), failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_algorithms_cannot_be_configured()
    {
        Assert.Throws<ArgumentException>(() => Validator(o => o.AllowedAlgorithms.Add("HS256")));
    }

    [Fact]
    public void Validates_against_an_http_request_as_the_handler_sees_it()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Scheme = "http";
        context.Request.Host = new Microsoft.AspNetCore.Http.HostString("internal:8080");
        context.Request.PathBase = "/api";
        context.Request.Path = "/agents/register";
        context.Request.QueryString = new Microsoft.AspNetCore.Http.QueryString("?x=1");

        var direct = new ProofBuilder(Key, "POST", "http://internal:8080/api/agents/register").At(Now).ForToken(Token).Build();
        Assert.True(Validator().Validate(direct, context.Request, Token).IsValid);

        var proxied = new ProofBuilder(Key, "POST", "https://api.example.com/api/agents/register").At(Now).ForToken(Token).Build();
        Assert.True(Validator(o => o.PublicOrigin = "https://API.example.com/").Validate(proxied, context.Request, Token).IsValid);
        var failure = Validator(o => o.PublicOrigin = "https://api.example.com").Validate(direct, context.Request, Token).Failure;
        Assert.Equal(DPoPFailureCode.HtuMismatch, failure?.Code);
    }

    [Fact]
    public void A_checked_header_is_reused_but_every_signature_is_still_verified()
    {
        var validator = Validator();
        Assert.True(validator.Validate(Proof().Build(), "POST", Uri, Token).IsValid);
        Assert.True(validator.Validate(Proof().Build(), "POST", Uri, Token).IsValid);
        Assert.Equal(1, validator.CachedHeaderCount);

        // Same header text, forged signature: refused although the header (and its key) is cached.
        using var other = TestKey.Create();
        var forged = validator.Validate(Proof().Build(input => other.Sign(input)), "POST", Uri, Token);
        Assert.Equal(DPoPFailureCode.ProofSignatureInvalid, forged.Failure?.Code);

        // Failed headers are never cached.
        Assert.False(validator.Validate(Proof().With(h => h["alg"] = "none").Build(), "POST", Uri, Token).IsValid);
        Assert.False(validator.Validate(Proof().With(h => h["jwk"] = Key.PrivateJwk()).Build(), "POST", Uri, Token).IsValid);
        Assert.Equal(1, validator.CachedHeaderCount);
    }

    [Fact]
    public void Many_keys_are_validated_concurrently_with_the_key_cache()
    {
        var validator = Validator();
        var keys = Enumerable.Range(0, 8).Select(_ => TestKey.Create()).ToArray();
        try
        {
            var proofs = Enumerable.Range(0, 400).Select(i => Proof(keys[i % keys.Length]).Build()).ToArray();
            var results = proofs.AsParallel().WithDegreeOfParallelism(8).Select(p => validator.Validate(p, "POST", Uri, Token).IsValid).ToArray();
            Assert.All(results, Assert.True);
            Assert.Equal(keys.Length, validator.CachedHeaderCount);
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    [Fact]
    public void The_replay_key_depends_on_key_and_jti()
    {
        string a = DPoPProofValidator.ReplayKey("jkt1", "jti1");
        Assert.Equal(a, DPoPProofValidator.ReplayKey("jkt1", "jti1"));
        Assert.NotEqual(a, DPoPProofValidator.ReplayKey("jkt2", "jti1"));
        Assert.NotEqual(a, DPoPProofValidator.ReplayKey("jkt1", "jti2"));
        Assert.Equal(43, a.Length);
    }
}
