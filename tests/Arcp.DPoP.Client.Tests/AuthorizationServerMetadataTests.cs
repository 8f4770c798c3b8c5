using Arcp.DPoP.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// RFC 8414 discovery by the client: the well-known URL (§3.1), OpenID Connect's URL when that one is 404, and the
/// refusals that keep a server from sending an agent elsewhere: another issuer's document (§3.3), no usable
/// token_endpoint, oversized or non-JSON answers, an issuer that is not an https URL.
/// </summary>
public sealed class AuthorizationServerMetadataTests
{
    [Theory]
    [InlineData("https://as.example.com", "https://as.example.com/.well-known/oauth-authorization-server")]
    [InlineData("https://as.example.com/", "https://as.example.com/.well-known/oauth-authorization-server")]
    [InlineData("https://as.example.com/tenant/7", "https://as.example.com/.well-known/oauth-authorization-server/tenant/7")]
    public void The_metadata_url_puts_the_well_known_path_between_host_and_path(string issuer, string expected)
    {
        Assert.Equal(expected, DPoPAuthorizationServerMetadata.GetMetadataUrl(new Uri(issuer)).AbsoluteUri);
    }

    [Fact]
    public async Task The_RFC_8414_document_is_read_first_and_gives_the_token_endpoint_and_algorithms()
    {
        await using var server = await LoopbackServer.StartAsync((s, app) =>
        {
            app.MapGet("/.well-known/oauth-authorization-server/as", () => Results.Text(
                $"{{\"issuer\":\"{s.Origin.GetLeftPart(UriPartial.Authority)}/as\",\"token_endpoint\":\"{s.Origin.GetLeftPart(UriPartial.Authority)}/as/token\",\"dpop_signing_alg_values_supported\":[\"ES256\",\"EdDSA\"],\"grant_types_supported\":[\"client_credentials\"]}}", "application/json"));
            app.MapGet("/as/.well-known/openid-configuration", () => Results.Text("{}", "application/json"));
        });
        using var http = new HttpClient();
        string issuer = server.Origin.GetLeftPart(UriPartial.Authority) + "/as";

        var metadata = await DPoPAuthorizationServerMetadata.GetAsync(http, issuer);

        Assert.Equal(issuer, metadata.Issuer);
        Assert.Equal(new Uri(issuer + "/token"), metadata.TokenEndpoint);
        Assert.Equal(["ES256", "EdDSA"], metadata.DPoPSigningAlgValuesSupported);
        Assert.Equal(["client_credentials"], metadata.GrantTypesSupported);
        Assert.DoesNotContain(server.Received, r => r.PathAndQuery.Contains("openid-configuration", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_issuer_with_only_OpenID_Connect_discovery_is_read_there()
    {
        await using var server = await LoopbackServer.StartAsync((s, app) =>
            app.MapGet("/as/.well-known/openid-configuration", () => Results.Text(
                $"{{\"issuer\":\"{s.Origin.GetLeftPart(UriPartial.Authority)}/as\",\"token_endpoint\":\"{s.Origin.GetLeftPart(UriPartial.Authority)}/as/token\"}}", "application/json")));
        using var http = new HttpClient();

        var metadata = await DPoPAuthorizationServerMetadata.GetAsync(http, server.Origin.GetLeftPart(UriPartial.Authority) + "/as");

        Assert.Equal(new Uri(server.Origin, "/as/token"), metadata.TokenEndpoint);
        Assert.Empty(metadata.DPoPSigningAlgValuesSupported);
    }

    [Fact]
    public async Task Another_issuers_document_or_one_without_a_usable_token_endpoint_is_refused()
    {
        await using var server = await LoopbackServer.StartAsync((s, app) =>
        {
            // An issuer that names another issuer (a mix-up, RFC 8414 §6.2), or its token endpoint over http to a remote host.
            app.MapGet("/.well-known/oauth-authorization-server/mixup", () => Results.Text(
                "{\"issuer\":\"https://bank.example.com\",\"token_endpoint\":\"https://bank.example.com/token\"}", "application/json"));
            app.MapGet("/.well-known/oauth-authorization-server/plain", () => Results.Text(
                $"{{\"issuer\":\"{s.Origin.GetLeftPart(UriPartial.Authority)}/plain\",\"token_endpoint\":\"http://as.example.com/token\"}}", "application/json"));
            app.MapGet("/.well-known/oauth-authorization-server/none", () => Results.Text(
                $"{{\"issuer\":\"{s.Origin.GetLeftPart(UriPartial.Authority)}/none\"}}", "application/json"));
            app.MapGet("/.well-known/oauth-authorization-server/html", () => Results.Text("<html></html>", "text/html"));
        });
        using var http = new HttpClient();
        string origin = server.Origin.GetLeftPart(UriPartial.Authority);
        foreach (var (path, words) in new[]
        {
            ("/mixup", "RFC 8414 §3.3"), ("/plain", "token_endpoint"), ("/none", "token_endpoint"), ("/html", "not application/json"), ("/missing", "404"),
        })
        {
            var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.GetAsync(http, origin + path));
            Assert.Contains(words, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_oversized_document_is_refused()
    {
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapGet("/.well-known/oauth-authorization-server", () => Results.Text(new string(' ', 70 * 1024) + "{}", "application/json")));
        using var http = new HttpClient();
        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.GetAsync(http, server.Origin.GetLeftPart(UriPartial.Authority)));
        Assert.Contains("more than 65536 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://as.example.com")]
    [InlineData("https://as.example.com/?tenant=7")]
    [InlineData("https://as.example.com/#x")]
    [InlineData("not a url")]
    public async Task An_issuer_that_is_not_an_https_url_is_refused_before_any_request(string issuer)
    {
        using var http = new HttpClient(new ThrowingHandler());
        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.GetAsync(http, issuer));
        Assert.Contains("RFC 8414 §2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_remote_resource_or_issuer_cannot_send_the_agent_to_its_own_machine()
    {
        // A remote resource lists a loopback issuer, or one it does not list is asked: refused before any request.
        var remote = DPoPResourceMetadata.Parse(
            "{\"resource\":\"https://api.example.com\",\"authorization_servers\":[\"http://127.0.0.1:9/as\"]}"u8, new Uri("https://api.example.com"), new Uri("https://api.example.com/.well-known/oauth-protected-resource"));
        using var none = new HttpClient(new ThrowingHandler());
        var loopback = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.GetForResourceAsync(none, remote, "http://127.0.0.1:9/as"));
        Assert.Contains("not on loopback", loopback.Message, StringComparison.Ordinal);
        var unlisted = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.GetForResourceAsync(none, remote, "https://as.example.com"));
        Assert.Contains("RFC 9728 §2", unlisted.Message, StringComparison.Ordinal);

        // An https issuer cannot name a plain-http token endpoint on loopback.
        byte[] document = "{\"issuer\":\"https://as.example.com\",\"token_endpoint\":\"http://127.0.0.1:9/token\"}"u8.ToArray();
        var error = Assert.Throws<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.Parse(document, "https://as.example.com", new Uri("https://as.example.com/.well-known/oauth-authorization-server")));
        Assert.Contains("token_endpoint", error.Message, StringComparison.Ordinal);

        // A lone surrogate escape is a refused document, not a crash.
        var surrogate = Assert.Throws<DPoPResourceMetadataException>(() => DPoPAuthorizationServerMetadata.Parse(
            "{\"issuer\":\"https://as.example.com\",\"token_endpoint\":\"https://as.example.com/token\",\"scopes_supported\":[\"\\uD800\"]}"u8,
            "https://as.example.com", new Uri("https://as.example.com/.well-known/oauth-authorization-server")));
        Assert.Contains("valid JSON", surrogate.Message, StringComparison.Ordinal);
    }

    private sealed class ThrowingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no request may be sent");
    }
}
