using System.Net;
using System.Text.Json;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Review finding: a token whose cnf carries a jkt and also a confirmation method this API cannot check
/// (x5t#S256, RFC 8705: the token is also bound to a TLS client certificate) is accepted on the jkt alone, so the
/// certificate binding the issuer asked for is silently skipped. issue 11 item 3 says a cnf this API cannot check is
/// a failure; a cnf that it can only half check should be one too.
/// </summary>
public sealed class ReviewConfirmationTests
{
    [Fact]
    public async Task A_token_also_bound_to_a_certificate_is_not_accepted_on_its_jkt_alone()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(jkt: null, claims => claims["cnf"] = JsonSerializer.Deserialize<JsonElement>(
            $$"""{"jkt":"{{key.Jkt}}","x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}"""));

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
