namespace Arcp.DPoP.Tests;

public class DPoPProblemTypesTests
{
    [Theory]
    [InlineData(DPoPFailureCode.NoCredentials, "authentication-failed", 401, "Authentication Failed", null)]
    [InlineData(DPoPFailureCode.AuthorizationMalformed, "authentication-failed", 401, "Authentication Failed", "invalid_request")]
    [InlineData(DPoPFailureCode.TokenInvalid, "authentication-failed", 401, "Authentication Failed", "invalid_token")]
    [InlineData(DPoPFailureCode.TokenExpired, "authentication-failed", 401, "Authentication Failed", "invalid_token")]
    [InlineData(DPoPFailureCode.TokenNotBound, "token-not-dpop-bound", 401, "Token Not DPoP Bound", "invalid_token")]
    [InlineData(DPoPFailureCode.ProofMissing, "dpop-required", 401, "DPoP Proof Required", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofMultiple, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofTooLarge, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofMalformed, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofTypeInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofAlgorithmNotAllowed, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofKeyInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofSignatureInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.HtmMismatch, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.HtuMismatch, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.IatInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.JtiInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.AthInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.ProofReplayed, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof")]
    [InlineData(DPoPFailureCode.BindingMismatch, "dpop-binding-mismatch", 401, "DPoP Key Mismatch", "invalid_token")]
    [InlineData(DPoPFailureCode.Forbidden, "insufficient-permissions", 403, "Insufficient Permissions", "insufficient_scope")]
    public void Every_failure_maps_to_one_ARCP_problem_type(DPoPFailureCode code, string slug, int status, string title, string? error)
    {
        var type = DPoPProblemTypes.For(code);
        Assert.Equal(slug, type.Slug);
        Assert.Equal("https://arcp.0x001.tech/docs/problems/" + slug, type.Type);
        Assert.Equal(status, type.Status);
        Assert.Equal(title, type.Title);
        Assert.Equal(error, DPoPProblemTypes.ErrorCodeFor(code));
    }

    [Fact]
    public void Every_failure_code_is_in_the_table()
    {
        foreach (var code in Enum.GetValues<DPoPFailureCode>())
        {
            Assert.NotNull(DPoPProblemTypes.For(code));
        }
    }
}
