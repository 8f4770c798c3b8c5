using Arcp.DPoP.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Review finding (detail hygiene): a token whose aud is JSON null or an empty array gets the detail
/// "The access token's audience (aud System.Collections.Generic.List`1[System.String]) is not one this API accepts":
/// a .NET type name in a problem detail, and not the "has no audience" detail the handler has for exactly this case.
/// </summary>
public sealed class ReviewAudienceDetailTests
{
    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    public async Task A_null_or_empty_aud_is_told_it_has_no_audience_without_dotnet_type_names(string aud)
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string payload = $$$"""{"sub":"agent-7","iss":"{{{SecurityApi.Issuer}}}","aud":{{{aud}}},"iat":{{{now}}},"exp":{{{now + 600}}},"cnf":{"jkt":"{{{key.Jkt}}}"}}""";
        string token = new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(api.SigningKey, SecurityAlgorithms.EcdsaSha256));

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.DoesNotContain("System.", detail, StringComparison.Ordinal);
        Assert.Contains("no audience", detail, StringComparison.Ordinal);
    }
}
