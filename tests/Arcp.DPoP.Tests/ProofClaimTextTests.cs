using Arcp.DPoP.Testing;

namespace Arcp.DPoP.Tests;

/// <summary>
/// The proof's string claims are compared as the payload's bytes and made into strings only when read (issue 14):
/// what an application reads (DPoPProof), the failure details and the replay key must be what they were with strings,
/// for escaped, non-ASCII and normalised values too.
/// </summary>
public sealed class ProofClaimTextTests : ProofValidatorTestBase
{
    private static string Payload(string jti, string htm = "POST", string htu = Uri, string? ath = null) =>
        $"{{\"jti\":\"{jti}\",\"htm\":\"{htm}\",\"htu\":\"{htu}\",\"iat\":{Now.ToUnixTimeSeconds()},\"ath\":\"{ath ?? ProofBuilder.Ath(Token)}\"}}";

    private string Proof(string payload) => new ProofBuilder(Key, "POST", Uri) { RawPayload = payload }.Build();

    [Theory]
    [InlineData("plain-jti", "plain-jti")]
    [InlineData("\\u0061\\u00e9\\ud83d\\ude00\\\"", "aé😀\"")] // escaped, as any JSON writer may send it
    [InlineData("é😀-raw", "é😀-raw")] // non-ASCII, unescaped UTF-8
    public void The_proof_s_claims_read_back_exactly(string jsonJti, string jti)
    {
        string proof = Proof(Payload(jsonJti, htm: "P\\u004fST", htu: Uri.Replace("/agents", "\\/agents", StringComparison.Ordinal), ath: ProofBuilder.Ath(Token)));

        var result = Validator().Validate(proof, "POST", Uri, Token);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(jti, result.Proof.Jti);
        Assert.Equal("POST", result.Proof.Htm);
        Assert.Equal(Uri, result.Proof.Htu);
        Assert.Equal(ProofBuilder.Ath(Token), result.Proof.Ath);

        // The replay key is the one the jti string gives, whether the bytes were compared or a string was made.
        var parsed = Validator().Parse(proof, "POST", Uri, Token.AsMemory());
        Assert.Equal(ProofReplayKey.Of(Key.Jkt, jti), parsed.Value!.ReplayKey);
    }

    [Fact]
    public void A_normalised_htu_reads_back_as_the_proof_sent_it()
    {
        const string sent = "HTTPS://API.EXAMPLE.COM:443/agents/register";
        var result = Validator().Validate(Proof(Payload("j1", htu: sent)), "POST", Uri, Token);
        Assert.True(result.IsValid, result.Failure?.ToString());
        Assert.Equal(sent, result.Proof.Htu);
    }

    [Fact]
    public void Failure_details_quote_the_proof_s_own_values()
    {
        var htm = Validator().Validate(Proof(Payload("j1", htm: "PÖST")), "POST", Uri, Token);
        Assert.Equal(DPoPFailureCode.HtmMismatch, htm.Failure!.Code);
        Assert.Equal(DPoPFailures.HtmMismatch("PÖST", "POST").Detail, htm.Failure!.Detail);

        var htu = Validator().Validate(Proof(Payload("j1", htu: "https://api.example.com/agents/other\\u0021")), "POST", Uri, Token);
        Assert.Equal(DPoPFailureCode.HtuMismatch, htu.Failure!.Code);
        Assert.Equal(DPoPFailures.HtuMismatch("https://api.example.com/agents/other!", Uri).Detail, htu.Failure!.Detail);

        var ath = Validator().Validate(Proof(Payload("j1", ath: ProofBuilder.Ath("another-token"))), "POST", Uri, Token);
        Assert.Equal(DPoPFailureCode.AthInvalid, ath.Failure!.Code);
        Assert.Same(DPoPFailures.AthMismatch, ath.Failure);
    }

    [Fact]
    public void The_jti_limit_counts_characters_not_bytes()
    {
        string atLimit = new('é', DPoPProofValidator.MaxJtiLength); // 2 UTF-8 bytes each
        Assert.True(Validator().Validate(Proof(Payload(atLimit)), "POST", Uri, Token).IsValid);

        var over = Validator().Validate(Proof(Payload(atLimit + "é")), "POST", Uri, Token);
        Assert.Equal(DPoPFailureCode.JtiInvalid, over.Failure!.Code);
        Assert.Contains((DPoPProofValidator.MaxJtiLength + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), over.Failure!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_or_missing_jti_is_refused()
    {
        Assert.Equal(DPoPFailureCode.JtiInvalid, Validator().Validate(Proof(Payload("")), "POST", Uri, Token).Failure!.Code);
        string noJti = $"{{\"htm\":\"POST\",\"htu\":\"{Uri}\",\"iat\":{Now.ToUnixTimeSeconds()},\"ath\":\"{ProofBuilder.Ath(Token)}\"}}";
        Assert.Equal(DPoPFailureCode.JtiInvalid, Validator().Validate(Proof(noJti), "POST", Uri, Token).Failure!.Code);
    }
}
