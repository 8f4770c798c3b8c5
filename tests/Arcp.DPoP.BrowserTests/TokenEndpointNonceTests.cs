using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;

namespace Arcp.DPoP.BrowserTests;

/// <summary>
/// The page in another app (MapDPoPTryIt with its own paths, under a PathBase) whose token endpoint demands a nonce
/// (RFC 9449 §8: a 400 <c>use_dpop_nonce</c> with <c>DPoP-Nonce</c>): the page finds the endpoint through config.json,
/// retries once, and calls the document's operations under the document's server path.
/// </summary>
public sealed class TokenEndpointNonceTests : BrowserTest
{
    private const string Nonce = "server-nonce-1";
    private readonly List<JsonElement> _proofPayloads = [];

    [Fact]
    public async Task Under_a_path_base_the_page_gets_its_token_from_the_endpoint_config_json_names_retrying_once_with_the_nonce()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UsePathBase("/api");
        app.UseRouting();
        app.MapPost("/connect/token", IssueAsync);
        app.MapGet("/hello", () => "hello");
        app.MapGet("/openapi/v1.json", (HttpContext context) => Results.Json(new
        {
            openapi = "3.1.1",
            info = new { title = "t", version = "1" },
            servers = new[] { new { url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}" } },
            paths = new Dictionary<string, object> { ["/hello"] = new { get = new { } }, ["/connect/token"] = new { post = new { } } },
        }));
        app.MapDPoPTryIt(tokenEndpoint: "/connect/token", pattern: "/explore");
        await app.StartAsync();
        string origin = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');

        var page = await Browser.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        await page.GotoAsync(origin + "/api/explore/");
        await page.WaitForSelectorAsync("#document-status[data-ready='true']");
        Assert.Equal("/api/connect/token", await page.TextContentAsync("#token-endpoint"));
        Assert.Equal(0, await page.Locator(".operation[data-path='/connect/token']").CountAsync());

        await page.ClickAsync("#get-key");
        await page.WaitForFunctionAsync("() => /^[A-Za-z0-9_-]{43}$/.test(document.getElementById('key-jkt').textContent)");
        await page.ClickAsync("#get-token");
        await page.WaitForSelectorAsync("#token-status[data-bound='this-key']");

        Assert.Contains("retried once with the server's nonce", await page.TextContentAsync("#result-request"), StringComparison.Ordinal);
        Assert.Equal(2, _proofPayloads.Count);
        Assert.False(_proofPayloads[0].TryGetProperty("nonce", out _));
        Assert.Equal(Nonce, _proofPayloads[1].GetProperty("nonce").GetString());
        Assert.Equal(origin + "/api/connect/token", _proofPayloads[1].GetProperty("htu").GetString());
        Assert.False(_proofPayloads[1].TryGetProperty("ath", out _)); // no token yet, so no ath
        Assert.NotEqual(_proofPayloads[0].GetProperty("jti").GetString(), _proofPayloads[1].GetProperty("jti").GetString());

        // An operation of the document: sent under the server's path (the PathBase), not at the origin's root.
        await page.ClickAsync(".operation[data-path='/hello'] button.send");
        await page.WaitForSelectorAsync("#result-status[data-status='200']");
        Assert.Equal("hello", await page.TextContentAsync("#result-body"));
        Assert.Equal("GET /api/hello", await page.TextContentAsync("#result-request"));
        await app.StopAsync();
    }

    // A token endpoint that wants a nonce in the proof; its "token" is unsigned but bound to the proof's key (cnf.jkt),
    // which is all the page reads of it.
    private IResult IssueAsync(HttpContext context)
    {
        string[] proof = context.Request.Headers["DPoP"].ToString().Split('.');
        using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(proof[0]));
        using var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(proof[1]));
        _proofPayloads.Add(payload.RootElement.Clone());
        if (!payload.RootElement.TryGetProperty("nonce", out var nonce) || nonce.GetString() != Nonce)
        {
            context.Response.Headers["DPoP-Nonce"] = Nonce;
            return Results.Json(new { error = "use_dpop_nonce", error_description = "Use the DPoP-Nonce header's value." }, statusCode: 400);
        }

        var jwk = new JsonWebKey(header.RootElement.GetProperty("jwk").GetRawText());
        string jkt = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint());
        string claims = JsonSerializer.Serialize(new { sub = "agent-7", cnf = new { jkt } });
        string token = Base64UrlEncoder.Encode("{\"alg\":\"none\"}") + "." + Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(claims)) + ".";
        return Results.Json(new { access_token = token, token_type = "DPoP", expires_in = 600 });
    }
}
