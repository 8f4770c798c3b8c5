using System.Net;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// The expected <c>htu</c> is written on the stack and compared there when the request URI is already in normal form,
/// and normalised into a string first otherwise (issue 14): both ways must judge a proof the same (RFC 9449 §4.3
/// item 9), whatever the request's host, path or length.
/// </summary>
public sealed class ExpectedHtuTests
{
    public static TheoryData<string> Paths => new()
    {
        "/orders", // normal form: compared on the stack
        "/orders/%7Eitem/./x", // percent-encoding and a dot segment: normalised first
        "/orders/" + new string('a', 600), // longer than the stack buffer
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_proof_for_the_request_URI_is_accepted_and_one_for_another_path_refused(string path)
    {
        await using var api = await SecurityApi.StartAsync(new() { Configure = o => o.TrustHostHeader = true });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var ok = await api.Client.SendAsync(SecurityApi.Request(path, token, SecurityApi.Proof(key, path, token)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        using var other = await api.Client.SendAsync(SecurityApi.Request(path, token, SecurityApi.Proof(key, path + "b", token)));
        var problem = await Problem.AssertAsync(other, "dpop-invalid");
        Assert.Contains("does not match", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_host_in_capitals_is_compared_normalised()
    {
        await using var api = await SecurityApi.StartAsync(new() { Configure = o => o.TrustHostHeader = true });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var request = SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token));
        request.Headers.Host = "LOCALHOST";
        using var ok = await api.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
