using System.Net;
using System.Net.Sockets;
using System.Text;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Builder;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 item 7: the expected <c>htu</c> comes from the request target as sent, decoded once. A proof for
/// <c>/files/r</c> does not open the resource literally named <c>%72</c> (<c>/files/%2572</c>), and a client can reach
/// paths containing <c>%25</c>. Raw HTTP/1.1 over a loopback socket to Kestrel, so no client library rewrites the target.
/// </summary>
public sealed class RawTargetTests
{
    [Fact]
    public async Task A_proof_for_one_path_does_not_open_the_resource_named_by_its_percent_encoding()
    {
        await using var api = await SecurityApi.StartAsync(new() { UseKestrel = true });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string origin = api.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        var (status, _) = await SendRawAsync(api.Client.BaseAddress!, "/files/%2572", token, SecurityApi.Proof(key, "/files/r", token, origin: origin));
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task A_path_with_an_encoded_percent_sign_can_be_reached()
    {
        await using var api = await SecurityApi.StartAsync(new() { UseKestrel = true });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string origin = api.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        var (status, body) = await SendRawAsync(api.Client.BaseAddress!, "/files/%2572", token, SecurityApi.Proof(key, "/files/%2572", token, origin: origin));
        Assert.True(status == 200, body);
        Assert.Contains("\"path\":\"/files/%72\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_encoded_unreserved_character_is_the_same_path()
    {
        // RFC 3986 §6.2.2.2: /files/%72 and /files/r are the same URI, however the client spells it.
        await using var api = await SecurityApi.StartAsync(new() { UseKestrel = true });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string origin = api.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        var (status, body) = await SendRawAsync(api.Client.BaseAddress!, "/files/%72?x=1", token, SecurityApi.Proof(key, "/files/r", token, origin: origin));
        Assert.True(status == 200, body);
    }

    [Fact]
    public async Task The_path_base_is_part_of_the_raw_target()
    {
        await using var api = await SecurityApi.StartAsync(new() { UseKestrel = true, Pipeline = app => app.UsePathBase("/api") });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string origin = api.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

        var (status, body) = await SendRawAsync(api.Client.BaseAddress!, "/api/files/%2572", token, SecurityApi.Proof(key, "/api/files/%2572", token, origin: origin));
        Assert.True(status == 200, body);
        Assert.Contains("\"path\":\"/files/%72\"", body, StringComparison.Ordinal);

        (status, _) = await SendRawAsync(api.Client.BaseAddress!, "/api/files/%2572", token, SecurityApi.Proof(key, "/api/files/r", token, origin: origin));
        Assert.Equal(401, status);
    }

    private static async Task<(int Status, string Body)> SendRawAsync(Uri server, string target, string token, string proof)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        string request = $"POST {target} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: DPoP {token}\r\nDPoP: {proof}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        int status = int.Parse(response.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        return (status, response);
    }
}
