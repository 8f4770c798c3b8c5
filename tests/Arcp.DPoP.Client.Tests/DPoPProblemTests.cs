namespace Arcp.DPoP.Client.Tests;

public class DPoPProblemTests
{
    [Fact]
    public void Parses_an_ARCP_problem_document()
    {
        var problem = DPoPProblem.Parse("""
            {"type":"https://arcp.0x001.tech/docs/problems/dpop-binding-mismatch","title":"DPoP Key Mismatch","status":401,
             "detail":"DPoP proof key does not match token binding","instance":"/agents/register","timestamp":"2025-01-15T10:30:00Z",
             "request_id":"req_abc123","error":"invalid_token","expected_jkt":"A","actual_jkt":"B"}
            """);
        Assert.NotNull(problem);
        Assert.Equal(DPoPProblem.BindingMismatch, problem.Slug);
        Assert.Equal("DPoP Key Mismatch", problem.Title);
        Assert.Equal(401, problem.Status);
        Assert.Equal("req_abc123", problem.RequestId);
        Assert.Equal("invalid_token", problem.Error);
        Assert.Equal("A", problem.ExpectedJkt);
        Assert.Equal("B", problem.ActualJkt);
        Assert.Contains("req_abc123", problem.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"title\":\"no type\"}")]
    public void Is_null_for_what_is_not_a_problem_document(string json)
    {
        Assert.Null(DPoPProblem.Parse(json));
    }

    [Fact]
    public void A_type_outside_ARCP_has_no_slug()
    {
        Assert.Null(DPoPProblem.Parse("{\"type\":\"about:blank\"}")!.Slug);
    }
}
