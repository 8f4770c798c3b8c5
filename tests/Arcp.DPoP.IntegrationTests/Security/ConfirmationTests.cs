using System.Net;
using System.Text.Json;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 items 3 and 16: only a token with no <c>cnf</c> at all is unbound; a binding the handler cannot check is
/// refused, never downgraded to a bearer token; the principal's <c>jkt</c> is the proved thumbprint and nothing else;
/// a wrong audience does not tell an anonymous caller which audiences the API accepts.
/// </summary>
public sealed class ConfirmationTests
{
    private static SecurityApi.Setup Allowed() => new() { Configure = o => o.Mode = DPoPMode.Allowed };

    public static TheoryData<string, string> UncheckableConfirmations => new()
    {
        { """{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}""", "token-not-dpop-bound" },
        { """{"jkt":"abc"}""", "authentication-failed" },
        { """{"jkt":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2AA"}""", "authentication-failed" },
        { """{"jkt":["bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"]}""", "authentication-failed" },
        { """{"jkt":42}""", "authentication-failed" },
        { "\"bound\"", "authentication-failed" },
        { "[]", "authentication-failed" },
        { "null", "authentication-failed" },
    };

    [Theory]
    [MemberData(nameof(UncheckableConfirmations))]
    public async Task Mode_Allowed_refuses_a_bearer_token_whose_binding_it_cannot_check(string cnf, string slug)
    {
        await using var api = await SecurityApi.StartAsync(Allowed());
        string token = api.Token(jkt: null, claims => claims["cnf"] = JsonSerializer.Deserialize<JsonElement>(cnf));

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof: null, scheme: "Bearer"));
        var problem = await Problem.AssertAsync(response, slug, error: "invalid_token");
        Assert.Contains("cnf", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mode_Allowed_still_accepts_a_token_with_no_cnf_as_bearer()
    {
        await using var api = await SecurityApi.StartAsync(Allowed());
        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", api.Token(jkt: null), proof: null, scheme: "Bearer"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_principal_jkt_is_the_proved_thumbprint_not_the_token_claim()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt, claims => claims["jkt"] = "attacker-chosen-thumbprint");

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var jkts = JsonDocument.Parse(body).RootElement.GetProperty("jkt").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal([key.Jkt], jkts);
    }

    [Fact]
    public async Task An_unbound_bearer_token_cannot_bring_its_own_jkt_claim()
    {
        await using var api = await SecurityApi.StartAsync(Allowed());
        string token = api.Token(jkt: null, claims => claims["jkt"] = "attacker-chosen-thumbprint");

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof: null, scheme: "Bearer"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(0, JsonDocument.Parse(body).RootElement.GetProperty("jkt").GetArrayLength());
    }

    [Fact]
    public async Task A_wrong_audience_does_not_list_the_accepted_audiences()
    {
        await using var api = await SecurityApi.StartAsync(new() { Configure = o => o.TokenValidationParameters.ValidAudiences = ["internal-billing-api"] });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt, audience: "someone-else");

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("audience", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(SecurityApi.Audience, detail, StringComparison.Ordinal);
        Assert.DoesNotContain("internal-billing-api", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("internal-billing-api", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
