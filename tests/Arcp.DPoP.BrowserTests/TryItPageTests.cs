using Arcp.DPoP.SampleApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Arcp.DPoP.BrowserTests;

/// <summary>
/// The sample API's try-it page in a real headless Chromium, against the sample on a real loopback port (as
/// <c>dotnet run</c> starts it, in Development): WebCrypto key, development token, a fresh proof per call, and the
/// problem document when the key no longer matches the token.
/// </summary>
public sealed class TryItPageTests : BrowserTest
{
    private readonly List<string> _browserErrors = [];

    [Fact]
    public async Task A_key_and_a_token_from_the_page_call_the_API_and_a_rotated_key_shows_the_key_mismatch_problem()
    {
        await using var api = await StartSampleAsync();
        var page = await OpenTryItAsync(api);

        await page.SelectOptionAsync("#algorithm", "ES256");
        string jkt = await GetKeyAsync(page, "#get-key", previousJkt: null);
        await GetTokenAsync(page);

        // A protected call: 200, and the API saw a proof from the page's key.
        var register = await SendAsync(page, "POST", "/agents/register");
        Assert.Equal("200", register.Status);
        Assert.Contains($"\"jkt\": \"{jkt}\"", register.Body, StringComparison.Ordinal);
        Assert.False(register.ProblemShown);
        Assert.Contains("\"htu\": \"" + api.Origin + "/agents/register\"", register.Proof, StringComparison.Ordinal);
        Assert.Contains("\"ath\":", register.Proof, StringComparison.Ordinal);

        // A second call to the same operation: a new proof (a replayed one would be refused).
        var again = await SendAsync(page, "POST", "/agents/register");
        Assert.Equal("200", again.Status);

        // The development token has no agents:admin scope: the 403 problem document is shown.
        var list = await SendAsync(page, "GET", "/agents");
        Assert.Equal("403", list.Status);
        Assert.True(list.ProblemShown);

        // Rotate the key, keep the token: ARCP's "DPoP Key Mismatch".
        string rotated = await GetKeyAsync(page, "#rotate-key", previousJkt: jkt);
        Assert.NotEqual(jkt, rotated);
        Assert.Equal("other-key", await page.GetAttributeAsync("#token-status", "data-bound"));
        var mismatch = await SendAsync(page, "POST", "/agents/register");
        Assert.Equal("401", mismatch.Status);
        Assert.True(mismatch.ProblemShown);
        Assert.Equal("DPoP Key Mismatch", mismatch.ProblemTitle);
        Assert.EndsWith("/dpop-binding-mismatch", mismatch.ProblemType, StringComparison.Ordinal);
        Assert.Contains("DPoP error=\"invalid_token\"", mismatch.Headers, StringComparison.Ordinal);
        Assert.True(await page.IsVisibleAsync(".operation[data-path='/agents/register'] #result-problem")); // shown under the call

        // A token for the new key works again.
        await GetTokenAsync(page);
        Assert.Equal("200", (await SendAsync(page, "GET", "/agents/me")).Status);

        Assert.Empty(_browserErrors);
    }

    [Fact]
    public async Task An_EdDSA_key_works_and_the_page_answers_a_nonce_challenge_by_retrying_once_with_the_nonce()
    {
        await using var api = await StartSampleAsync("--Authentication:Schemes:DPoP:RequireNonce", "true");
        var page = await OpenTryItAsync(api);

        // Chromium has Ed25519 in WebCrypto: the page offers EdDSA.
        await page.SelectOptionAsync("#algorithm", "EdDSA");
        await GetKeyAsync(page, "#get-key", previousJkt: null);
        Assert.Equal("EdDSA", await page.GetAttributeAsync("#key-jkt", "data-alg"));
        await GetTokenAsync(page);

        // The first proof has no nonce: the API answers use_dpop_nonce with DPoP-Nonce, the page retries with it.
        var first = await SendAsync(page, "POST", "/agents/heartbeat");
        Assert.Equal("200", first.Status);
        Assert.Contains("retried once with the server's nonce", first.Request, StringComparison.Ordinal);
        Assert.Contains("\"nonce\":", first.Proof, StringComparison.Ordinal);
        Assert.Contains("\"alg\": \"EdDSA\"", first.Proof, StringComparison.Ordinal);

        Assert.Empty(_browserErrors);
    }

    private sealed record Answer(string Request, string Status, bool ProblemShown, string ProblemTitle, string ProblemType, string Headers, string Body, string Proof);

    private sealed class RunningSample(WebApplication app, string origin) : IAsyncDisposable
    {
        public string Origin { get; } = origin;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<RunningSample> StartSampleAsync(params string[] settings)
    {
        // The sample as `dotnet run` starts it (Development, its development issuer), on a real port: a browser needs one.
        var app = SampleApiApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--environment", "Development",
            "--Logging:LogLevel:Default", "Warning",
            .. settings,
        ]);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new RunningSample(app, address.TrimEnd('/'));
    }

    private async Task<IPage> OpenTryItAsync(RunningSample api)
    {
        var page = await Browser.NewPageAsync();
        page.SetDefaultTimeout(10_000);
        page.Console += (_, message) =>
        {
            // A script error or a Content-Security-Policy violation; Chromium also logs every 4xx answer (the 401s and
            // 403s these tests ask for) as "Failed to load resource", which is not one.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal))
            {
                _browserErrors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => _browserErrors.Add(error);

        var response = await page.GotoAsync(api.Origin + "/try-it");
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal(api.Origin + "/try-it/", page.Url);
        await page.WaitForSelectorAsync("#document-status[data-ready='true']");
        await page.WaitForSelectorAsync("#algorithm[data-ready='true']");
        Assert.Equal("/dev-issuer/token", await page.TextContentAsync("#token-endpoint"));
        Assert.Equal(0, await page.Locator(".operation[data-path='/dev-issuer/token']").CountAsync()); // step 2 calls it, not a card
        Assert.Equal("true", await page.GetAttributeAsync(".operation[data-path='/agents/register']", "data-dpop"));
        return page;
    }

    private static async Task<string> GetKeyAsync(IPage page, string button, string? previousJkt)
    {
        await page.ClickAsync(button);
        await page.WaitForFunctionAsync(
            "previous => { const jkt = document.getElementById('key-jkt').textContent; return /^[A-Za-z0-9_-]{43}$/.test(jkt) && jkt !== previous; }",
            previousJkt ?? string.Empty);
        return (await page.TextContentAsync("#key-jkt"))!;
    }

    private static async Task GetTokenAsync(IPage page)
    {
        int count = await AnswerCountAsync(page);
        await page.ClickAsync("#get-token");
        await WaitForAnswerAsync(page, count);
        Assert.Equal("200", await page.GetAttributeAsync("#result-status", "data-status"));
        Assert.Equal("this-key", await page.GetAttributeAsync("#token-status", "data-bound"));
    }

    private static async Task<Answer> SendAsync(IPage page, string method, string path)
    {
        int count = await AnswerCountAsync(page);
        await page.ClickAsync($".operation[data-method='{method}'][data-path='{path}'] button.send");
        await WaitForAnswerAsync(page, count);
        return new Answer(
            (await page.TextContentAsync("#result-request"))!,
            (await page.GetAttributeAsync("#result-status", "data-status"))!,
            await page.IsVisibleAsync("#result-problem"),
            (await page.TextContentAsync("#result-problem-title"))!,
            (await page.TextContentAsync("#result-problem-type"))!,
            (await page.TextContentAsync("#result-headers"))!,
            (await page.TextContentAsync("#result-body"))!,
            (await page.TextContentAsync("#result-proof"))!);
    }

    private static async Task<int> AnswerCountAsync(IPage page) =>
        int.Parse(await page.GetAttributeAsync("#result-section", "data-count") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task WaitForAnswerAsync(IPage page, int previousCount) =>
        await page.WaitForFunctionAsync("previous => Number(document.getElementById('result-section').dataset.count || '0') > previous", previousCount);
}
