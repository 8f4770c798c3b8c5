using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// Review finding: the client never reads the token response's <c>token_type</c>. RFC 9449 §5: an authorization server
/// that issued a DPoP-bound token says <c>token_type</c> "DPoP"; "Bearer" means the server did not bind it (it does not
/// support DPoP, or a downgrade on the way). The client then holds an unbound bearer token while its user believes every
/// request is sender-constrained, and sends it with the DPoP scheme as if it were bound.
/// </summary>
public sealed class ReviewTokenTypeTests
{
    [Theory]
    [InlineData("Bearer")]
    [InlineData("mac")]
    public async Task A_token_response_that_is_not_token_type_DPoP_is_refused(string tokenType)
    {
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapPost("/token", () => Results.Json(new { access_token = "unbound-token", token_type = tokenType, expires_in = 300 })));
        using var plain = new HttpClient();
        using var session = new DPoPSession();

        await Assert.ThrowsAsync<DPoPTokenRequestException>(() => session.RequestTokenAsync(plain, server.Url("/token")));
        Assert.Null(session.AccessToken);
    }

    [Fact]
    public async Task A_token_response_with_token_type_twice_is_refused()
    {
        // A JSON reader that keeps the last member would read "DPoP"; one that keeps the first, "Bearer".
        const string Body = "{\"access_token\":\"unbound-token\",\"token_type\":\"Bearer\",\"token_type\":\"DPoP\",\"expires_in\":300}";
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapPost("/token", () => Results.Text(Body, "application/json")));
        using var plain = new HttpClient();
        using var session = new DPoPSession();

        var refused = await Assert.ThrowsAsync<DPoPTokenRequestException>(() => session.RequestTokenAsync(plain, server.Url("/token")));
        Assert.Contains("token_type", refused.Message, StringComparison.Ordinal);
        Assert.Null(session.AccessToken);
    }
}
