using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// <c>htu</c> for internationalised host names (issue 11, item 13): the server sees the IDNA (punycode) host in
/// <c>Host</c>, so the proof must name that form, not the Unicode one.
/// </summary>
public sealed class IdnHtuTests
{
    [Theory]
    [InlineData("https://bücher.example/agents/register?x=1#f", "https://xn--bcher-kva.example/agents/register")]
    [InlineData("https://BÜCHER.example:8443/a%20b", "https://xn--bcher-kva.example:8443/a%20b")]
    [InlineData("http://[::1]:5080/agents", "http://[::1]:5080/agents")]
    [InlineData("https://api.example.com/agents/register", "https://api.example.com/agents/register")]
    public void Htu_names_the_host_in_its_IDNA_form(string uri, string htu)
    {
        Assert.Equal(htu, DPoPProofFactory.GetHtu(new Uri(uri)));
        using var key = DPoPKey.Generate();
        Assert.Equal(htu, ProofClaims.Htu(new DPoPProofFactory().CreateProof(key, "GET", new Uri(uri))));
    }

    [Fact]
    public async Task The_proofs_htu_is_the_host_a_real_server_receives()
    {
        await using var server = await LoopbackServer.StartAsync((_, app) => app.MapGet("/agents/me", () => "ok"));
        using var session = new DPoPSession();
        session.SetAccessToken("opaque-token");

        // Resolve the IDN host to the loopback server, as DNS would.
        using var transport = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, server.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport });
        using var response = await client.GetAsync(new Uri($"http://bücher.example:{server.Port}/agents/me"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = Assert.Single(server.Received);
        Assert.Equal($"xn--bcher-kva.example:{server.Port}", received.Host);
        Assert.Equal($"http://{received.Host}/agents/me", ProofClaims.Htu(received.DPoP));
    }
}
