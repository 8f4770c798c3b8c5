using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.Tests;

public class ProofVectorTests
{
    [Theory]
    [MemberData(nameof(Vectors.Proofs), MemberType = typeof(Vectors))]
    public void Validates_the_RFC_proofs_with_an_injected_clock(int index, string source)
    {
        var vector = Vectors.Proof(index);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(vector.GetProperty("now").GetInt64()));
        var validator = new DPoPProofValidator(new DPoPOptions { TimeProvider = clock });
        string? accessToken = vector.GetProperty("access_token").ValueKind == System.Text.Json.JsonValueKind.Null
            ? null
            : vector.GetProperty("access_token").GetString();

        var result = validator.Validate(
            vector.GetProperty("proof").GetString()!,
            vector.GetProperty("htm").GetString()!,
            vector.GetProperty("htu").GetString()!,
            accessToken);

        if (vector.GetProperty("valid").GetBoolean())
        {
            Assert.True(result.IsValid, $"{source}: {result.Failure}");
            Assert.Equal(vector.GetProperty("jkt").GetString(), result.Proof.Jkt);
            Assert.Equal("ES256", result.Proof.Algorithm);
            if (vector.TryGetProperty("ath", out var ath))
            {
                Assert.Equal(ath.GetString(), result.Proof.Ath);
            }
        }
        else
        {
            Assert.False(result.IsValid, source);
            var expected = vector.GetProperty("why").GetString() switch
            {
                "htm" => DPoPFailureCode.HtmMismatch,
                "ath" => DPoPFailureCode.AthInvalid,
                "iat" => DPoPFailureCode.IatInvalid,
                var why => throw new InvalidOperationException("unknown vector reason " + why),
            };
            Assert.Equal(expected, result.Failure.Code);
            Assert.Same(DPoPProblemTypes.DPoPInvalid, result.Failure.ProblemType);
        }
    }

    [Fact]
    public void The_RFC_token_request_proof_names_its_age_when_an_hour_old()
    {
        var vector = Vectors.Proof(0);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(vector.GetProperty("now").GetInt64() + 412));
        var result = new DPoPProofValidator(new DPoPOptions { TimeProvider = clock })
            .Validate(vector.GetProperty("proof").GetString()!, "POST", "https://server.example.com/token");
        Assert.False(result.IsValid);
        Assert.Contains("iat is 412 s in the past; the allowed window is 60 s", result.Failure.Detail, StringComparison.Ordinal);
    }
}
