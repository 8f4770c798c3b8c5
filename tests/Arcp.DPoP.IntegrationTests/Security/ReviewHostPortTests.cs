using System.Net;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Review finding: AllowedHosts is matched on the host name only (as host filtering does), but htu is built with the
/// Host header's port too. Outside Development with AllowedHosts "localhost", a client can send Host: localhost:9999 and
/// get the expected htu http://localhost:9999/...: a proof made for another service on the same host name but another
/// port (which accepts the same tokens) is accepted here.
/// </summary>
public sealed class ReviewHostPortTests
{
    [Fact]
    public async Task With_AllowedHosts_a_proof_made_for_another_port_of_the_same_host_is_refused()
    {
        await using var api = await SecurityApi.StartAsync(new() { Environment = "Production", Settings = { ["AllowedHosts"] = "localhost" } });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        // Captured from a request to the service on localhost:9999, replayed to this API with that Host.
        string proof = SecurityApi.Proof(key, "/orders", token, origin: "http://localhost:9999");
        using var request = SecurityApi.Request("http://localhost:9999/orders", token, proof);
        using var response = await api.Client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
