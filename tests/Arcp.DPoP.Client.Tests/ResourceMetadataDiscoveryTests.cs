using System.Net;
using Arcp.DPoP.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// RFC 9728 discovery by the client: the well-known URL (§3.1), the resource_metadata of a 401 (§5.1), and the
/// refusals that keep a resource from sending an agent elsewhere: another resource's document (§3.3), an oversized or
/// non-JSON answer, a plain-http URL to a remote host.
/// </summary>
public sealed class ResourceMetadataDiscoveryTests
{
    [Theory]
    [InlineData("https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource")]
    [InlineData("https://api.example.com/", "https://api.example.com/.well-known/oauth-protected-resource")]
    [InlineData("https://api.example.com/mcp", "https://api.example.com/.well-known/oauth-protected-resource/mcp")]
    [InlineData("https://api.example.com:8443/tenant/7/", "https://api.example.com:8443/.well-known/oauth-protected-resource/tenant/7/")]
    public void The_metadata_url_puts_the_well_known_path_between_host_and_path(string resource, string expected)
    {
        Assert.Equal(expected, DPoPResourceMetadata.GetMetadataUrl(new Uri(resource)).AbsoluteUri);
    }

    [Fact]
    public async Task An_agent_that_knows_only_the_APIs_url_learns_the_issuer_and_the_algorithms()
    {
        await using var api = new SampleApi();
        using var http = api.CreateClient();

        var metadata = await DPoPResourceMetadata.GetAsync(http, SampleApi.BaseAddress);
        Assert.Equal(SampleApi.BaseAddress, metadata.Resource);
        Assert.Equal(Arcp.DPoP.DPoPOptions.DefaultAllowedAlgorithms, metadata.DPoPSigningAlgValuesSupported);
        Assert.True(metadata.DPoPBoundAccessTokensRequired);
        Assert.Equal(["header"], metadata.BearerMethodsSupported);
        Assert.Equal("Arcp.DPoP sample API", metadata.ResourceName);
        Assert.Contains("agents:admin", metadata.ScopesSupported);

        // The same document through the 401's challenge.
        using var unauthorized = await http.PostAsync(new Uri("/agents/register", UriKind.Relative), null);
        var problem = await DPoPProblem.ReadAsync(unauthorized);
        Assert.Equal(new Uri("http://localhost/.well-known/oauth-protected-resource"), problem?.ResourceMetadata);
        var followed = await DPoPResourceMetadata.GetFromAsync(http, SampleApi.BaseAddress, problem!.ResourceMetadata!);
        Assert.Equal(metadata.AuthorizationServers, followed.AuthorizationServers);
    }

    [Fact]
    public async Task A_document_for_another_resource_is_refused()
    {
        // A resource (or whoever answers at the URL its challenge names) claims another resource's identity.
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapGet("/.well-known/oauth-protected-resource", () => Results.Text(
                "{\"resource\":\"https://bank.example.com\",\"authorization_servers\":[\"https://evil-as.example\"]}", "application/json")));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPResourceMetadata.GetAsync(http, server.Origin));
        Assert.Contains("describes the resource 'https://bank.example.com'", error.Message, StringComparison.Ordinal);

        // Nor is a path the resource did not ask about: /mcp's document must say /mcp.
        var path = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() =>
            DPoPResourceMetadata.GetFromAsync(http, new Uri(server.Origin, "/mcp"), server.Url("/.well-known/oauth-protected-resource")));
        Assert.Contains("RFC 9728 §3.3", path.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chunked")]
    [InlineData("length")]
    public async Task An_oversized_document_is_refused_without_reading_it_all(string framing)
    {
        await using var server = await LoopbackServer.StartAsync((s, app) =>
            app.MapGet("/.well-known/oauth-protected-resource", async (HttpContext context) =>
            {
                context.Response.ContentType = "application/json";
                if (framing == "length")
                {
                    context.Response.ContentLength = 10 * 1024 * 1024;
                }

                byte[] chunk = new byte[16 * 1024];
                Array.Fill(chunk, (byte)' ');
                try
                {
                    for (int i = 0; i < 640; i++)
                    {
                        await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (IOException)
                {
                }
            }));
        using var http = new HttpClient();
        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPResourceMetadata.GetAsync(http, server.Origin));
        Assert.Contains("more than 65536 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_json_not_200_and_not_an_object_are_refused()
    {
        await using var server = await LoopbackServer.StartAsync((_, app) =>
        {
            app.MapGet("/.well-known/oauth-protected-resource/html", () => Results.Text("<html></html>", "text/html"));
            app.MapGet("/.well-known/oauth-protected-resource/array", () => Results.Text("[]", "application/json"));
            app.MapGet("/.well-known/oauth-protected-resource/broken", () => Results.Text("{\"resource\":", "application/json"));
        });
        using var http = new HttpClient();
        foreach (var (path, words) in new[] { ("/html", "not application/json"), ("/array", "JSON object"), ("/broken", "valid JSON"), ("/missing", "404") })
        {
            var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPResourceMetadata.GetAsync(http, new Uri(server.Origin, path)));
            Assert.Contains(words, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_plain_http_metadata_url_to_a_remote_host_is_refused_before_any_request()
    {
        using var http = new HttpClient(new ThrowingHandler());
        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() =>
            DPoPResourceMetadata.GetFromAsync(http, new Uri("https://api.example.com"), new Uri("http://api.example.com/.well-known/oauth-protected-resource")));
        Assert.Contains("https", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/admin/reset")]
    [InlineData("http://localhost:2375/containers/json")]
    public async Task A_remote_resource_cannot_point_the_agent_at_plain_http_on_its_own_machine(string metadataUrl)
    {
        // The challenge of https://api.example.com names a loopback URL: the agent would send a GET to a service on its
        // own machine (request forgery). Plain http to loopback is for a resource that is itself on loopback.
        using var http = new HttpClient(new ThrowingHandler());
        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() =>
            DPoPResourceMetadata.GetFromAsync(http, new Uri("https://api.example.com"), new Uri(metadataUrl)));
        Assert.Contains("loopback", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task resource_metadata_is_read_from_a_Bearer_challenge_and_from_escaped_quoted_strings()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("{\"type\":\"https://arcp.0x001.tech/docs/problems/authentication-failed\",\"status\":401}", System.Text.Encoding.UTF8, "application/problem+json"),
        };
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Basic realm=\"x\"");
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "Bearer error_description=\"a \\\"quoted\\\", text\", resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource/a\"");
        var problem = await DPoPProblem.ReadAsync(response);
        Assert.Equal(new Uri("https://api.example.com/.well-known/oauth-protected-resource/a"), problem?.ResourceMetadata);
        Assert.Equal("authentication-failed", problem?.Slug);
    }

    [Fact]
    public async Task A_challenge_without_resource_metadata_leaves_it_null()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("{\"type\":\"https://arcp.0x001.tech/docs/problems/authentication-failed\",\"status\":401}", System.Text.Encoding.UTF8, "application/problem+json"),
        };
        response.Headers.TryAddWithoutValidation("WWW-Authenticate", "DPoP algs=\"ES256\"");
        var problem = await DPoPProblem.ReadAsync(response);
        Assert.NotNull(problem);
        Assert.Null(problem.ResourceMetadata);
    }

    [Theory]
    [InlineData("{\"resource\":\"\\uD800\"}")]                                            // a lone surrogate: GetString() throws InvalidOperationException
    [InlineData("{\"resource\":\"RESOURCE\",\"authorization_servers\":[\"\\uDC00\"]}")]
    [InlineData("{\"resource\":\"RESOURCE\",\"resource_name\":\"\\uD83D\"}")]
    public async Task A_document_with_a_string_that_is_not_UTF16_is_a_DPoPResourceMetadataException(string json)
    {
        await using var server = await LoopbackServer.StartAsync((s, app) =>
            app.MapGet("/.well-known/oauth-protected-resource", () => Results.Text(json.Replace("RESOURCE", s.Origin.AbsoluteUri.TrimEnd('/'), StringComparison.Ordinal), "application/json")));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPResourceMetadata.GetAsync(http, server.Origin));
        Assert.Contains("valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_cut_short_by_the_server_is_a_DPoPResourceMetadataException()
    {
        // The server announces 1000 bytes, sends 11 and resets the connection: the body read fails with an IOException
        // (not an HttpRequestException), which escaped GetAsync although its documentation names only DPoPResourceMetadataException.
        await using var server = await LoopbackServer.StartAsync((_, app) =>
            app.MapGet("/.well-known/oauth-protected-resource", async (HttpContext context) =>
            {
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 1000;
                await context.Response.Body.WriteAsync("{\"resource\""u8.ToArray());
                await context.Response.Body.FlushAsync();
                await Task.Delay(300); // the client has the headers and is reading the body
                context.Abort();
            }));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<DPoPResourceMetadataException>(() => DPoPResourceMetadata.GetAsync(http, server.Origin));
        Assert.Contains("could not be read", error.Message, StringComparison.Ordinal);
    }

    private sealed class ThrowingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no request may be sent");
    }
}
