namespace Arcp.DPoP.Tests;

public class DPoPProblemTypesTests
{
    // Every failure code, its ARCP problem type (slug, status, title) and its WWW-Authenticate error code.
    public static TheoryData<DPoPFailureCode, string, int, string, string?> Table => new()
    {
        { DPoPFailureCode.NoCredentials, "authentication-failed", 401, "Authentication Failed", null },
        { DPoPFailureCode.AuthorizationMalformed, "authentication-failed", 401, "Authentication Failed", "invalid_request" },
        { DPoPFailureCode.TokenInvalid, "authentication-failed", 401, "Authentication Failed", "invalid_token" },
        { DPoPFailureCode.TokenExpired, "authentication-failed", 401, "Authentication Failed", "invalid_token" },
        { DPoPFailureCode.TokenNotBound, "token-not-dpop-bound", 401, "Token Not DPoP Bound", "invalid_token" },
        { DPoPFailureCode.ProofMissing, "dpop-required", 401, "DPoP Proof Required", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofMultiple, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofTooLarge, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofMalformed, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofTypeInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofAlgorithmNotAllowed, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofKeyInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofSignatureInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.HtmMismatch, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.HtuMismatch, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.IatInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.JtiInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.AthInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.ProofReplayed, "dpop-invalid", 401, "Invalid DPoP Proof", "invalid_dpop_proof" },
        { DPoPFailureCode.BindingMismatch, "dpop-binding-mismatch", 401, "DPoP Key Mismatch", "invalid_token" },
        { DPoPFailureCode.Forbidden, "insufficient-permissions", 403, "Insufficient Permissions", "insufficient_scope" },
        { DPoPFailureCode.NonceRequired, "dpop-invalid", 401, "Invalid DPoP Proof", "use_dpop_nonce" },
        { DPoPFailureCode.NonceInvalid, "dpop-invalid", 401, "Invalid DPoP Proof", "use_dpop_nonce" },
        { DPoPFailureCode.ReplayCheckUnavailable, "service-unavailable", 503, "Service Unavailable", "temporarily_unavailable" },
        { DPoPFailureCode.IssuerUnavailable, "service-unavailable", 503, "Service Unavailable", "temporarily_unavailable" },
    };

    [Theory]
    [MemberData(nameof(Table))]
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
    public void The_table_above_covers_every_failure_code()
    {
        // A new DPoPFailureCode fails here until its problem type is pinned in the table.
        var covered = Table.Select(row => (DPoPFailureCode)row[0]).Order().ToArray();
        Assert.Equal(Enum.GetValues<DPoPFailureCode>().Order().ToArray(), covered);
    }
}
