using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// Review finding: a server's JSON may escape a lone UTF-16 surrogate ("\uD800"). System.Text.Json parses it, then
/// GetString() throws InvalidOperationException. The client's readers of server answers (token response, token error,
/// problem document, protected resource metadata) caught only JsonException, so a server could make them throw an
/// exception type their documentation does not name, instead of the refusal they promise.
/// </summary>
public sealed class HostileJsonStringTests
{
    [Theory]
    [InlineData("{\"access_token\":\"\\uD800\",\"token_type\":\"DPoP\",\"expires_in\":300}")]
    [InlineData("{\"access_token\":\"t\",\"token_type\":\"\\uDC00\",\"expires_in\":300}")]
    [InlineData("{\"access_token\":\"t\",\"token_type\":\"DPoP\",\"expires_in\":\"\\uD800\"}")]
    [InlineData("{\"\\uD800\":1,\"access_token\":\"t\",\"token_type\":\"DPoP\"}")]
    public async Task A_token_response_with_a_lone_surrogate_is_refused_as_a_token_request_failure(string body)
    {
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapPost("/token", () => Results.Text(body, "application/json")));
        using var plain = new HttpClient();
        using var session = new DPoPSession();

        var refused = await Record.ExceptionAsync(() => session.RequestTokenAsync(plain, server.Url("/token")));

        // Either refused (the token cannot be read) or, for an unusable expires_in, accepted without a lifetime: never
        // an InvalidOperationException out of the JSON reader.
        Assert.True(refused is null or DPoPTokenRequestException, refused?.ToString());
    }

    [Fact]
    public async Task A_token_error_with_a_lone_surrogate_is_a_token_request_failure()
    {
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapPost("/token", () => Results.Text("{\"error\":\"invalid_client\",\"error_description\":\"\\uD800\"}", "application/json", statusCode: 400)));
        using var plain = new HttpClient();
        using var session = new DPoPSession();

        var refused = await Assert.ThrowsAsync<DPoPTokenRequestException>(() => session.RequestTokenAsync(plain, server.Url("/token")));
        Assert.Equal(400, refused.Status);
        Assert.Equal("invalid_client", refused.Error);
    }

    [Fact]
    public async Task A_problem_document_with_a_lone_surrogate_is_not_a_problem_document()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("{\"type\":\"https://arcp.0x001.tech/docs/problems/dpop-invalid\",\"status\":401,\"detail\":\"\\uD800\"}", System.Text.Encoding.UTF8, "application/problem+json"),
        };

        Assert.Null(await DPoPProblem.ReadAsync(response));
        Assert.Null(DPoPProblem.Parse("{\"type\":\"\\uDC00\"}"));
    }
}
