using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.Client.Tests;

public sealed class DPoPSessionTests
{
    private static readonly Uri Register = new(SampleApi.BaseAddress, "/agents/register");
    private static readonly Uri TokenEndpoint = new(SampleApi.BaseAddress, "/dev-issuer/token");

    [Fact]
    public async Task A_session_gets_a_bound_token_and_signs_every_request()
    {
        await using var api = new SampleApi();
        using var transport = api.Transport();
        using var session = new DPoPSession();
        using var plain = new HttpClient(transport, disposeHandler: false);
        string token = await session.RequestTokenAsync(plain, TokenEndpoint, [new("client_id", "agent-1")]);
        Assert.Equal(token, session.AccessToken);

        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        for (int i = 0; i < 3; i++)
        {
            using var response = await client.PostAsync(Register, null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(session.Key.Thumbprint, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rotating_the_key_forgets_the_token_so_the_old_token_is_never_signed_with_the_new_key()
    {
        await using var api = new SampleApi();
        using var transport = api.Transport();
        using var session = new DPoPSession();
        using var plain = new HttpClient(transport, disposeHandler: false);
        await session.RequestTokenAsync(plain, TokenEndpoint);
        string oldThumbprint = session.Key.Thumbprint;

        var newKey = session.RotateKey();
        Assert.NotEqual(oldThumbprint, newKey.Thumbprint);
        Assert.Null(session.AccessToken);
        var ex = Assert.Throws<InvalidOperationException>(() => session.CreateProof(HttpMethod.Post, Register));
        Assert.Contains("rotated key needs a new token", ex.Message, StringComparison.Ordinal);

        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.PostAsync(Register, null));
        Assert.Equal(1, transport.Count); // only the token request reached the server

        await session.RequestTokenAsync(plain, TokenEndpoint);
        using var ok = await client.PostAsync(Register, null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task A_token_bound_to_another_key_is_refused_by_the_session()
    {
        await using var api = new SampleApi();
        using var transport = api.Transport();
        using var plain = new HttpClient(transport, disposeHandler: false);
        using var other = new DPoPSession();
        string othersToken = await other.RequestTokenAsync(plain, TokenEndpoint);

        using var session = new DPoPSession();
        var ex = Assert.Throws<InvalidOperationException>(() => session.SetAccessToken(othersToken));
        Assert.Contains("dpop-binding-mismatch", ex.Message, StringComparison.Ordinal);
        Assert.Null(session.AccessToken);
    }

    [Fact]
    public async Task The_handler_retries_once_on_use_dpop_nonce_and_then_remembers_the_nonce()
    {
        await using var api = new SampleApi { RequireNonce = true };
        using var transport = api.Transport();
        using var session = new DPoPSession();
        // The token endpoint asks for nonces too (the same nonce service): the token comes from the issuer service instead.
        session.SetAccessToken(api.Issuer.CreateToken("agent-1", session.Key.Thumbprint, audience: "arcp-api"));
        int afterToken = transport.Count;
        transport.Bodies.Clear();

        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        using var first = await client.PostAsync(Register, new StringContent("{\"name\":\"agent\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(afterToken + 2, transport.Count); // the 401 use_dpop_nonce, then the retry
        Assert.Equal(["{\"name\":\"agent\"}", "{\"name\":\"agent\"}"], transport.Bodies); // the body went again
        Assert.NotNull(session.GetNonce(Register));

        using var second = await client.PostAsync(Register, null);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(afterToken + 3, transport.Count); // the remembered nonce: no retry
    }

    [Fact]
    public async Task Other_401s_are_not_retried_even_when_they_carry_a_nonce()
    {
        await using var api = new SampleApi { RequireNonce = true };
        using var transport = api.Transport();
        using var session = new DPoPSession();
        session.SetAccessToken(api.Issuer.CreateToken("unbound", jkt: null, lifetime: TimeSpan.FromMinutes(5), audience: "arcp-api"));

        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        using var first = await client.PostAsync(Register, null);
        Assert.Equal(2, transport.Count); // use_dpop_nonce first (nonces are checked before the token), then the retry
        Assert.Equal(DPoPProblem.TokenNotDPoPBound, (await DPoPProblem.ReadAsync(first))?.Slug);

        // Now the session holds the nonce: the refusal is token-not-dpop-bound straight away, with a nonce, and no retry.
        using var second = await client.PostAsync(Register, null);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
        Assert.True(second.Headers.Contains("DPoP-Nonce"));
        Assert.Equal(3, transport.Count);
        Assert.Equal(DPoPProblem.TokenNotDPoPBound, (await DPoPProblem.ReadAsync(second))?.Slug);
    }

    [Fact]
    public async Task The_handler_retries_at_most_once()
    {
        // A server whose nonce service accepts no nonce at all: every answer is use_dpop_nonce with a new nonce.
        await using var api = new SampleApi { RequireNonce = true, ExtraServices = s => s.AddSingleton<IDPoPNonceService, RejectingNonceService>() };
        using var transport = api.Transport();
        using var session = new DPoPSession();
        // The token endpoint asks for nonces too (the same nonce service): the token comes from the issuer service instead.
        session.SetAccessToken(api.Issuer.CreateToken("agent-1", session.Key.Thumbprint, audience: "arcp-api"));
        int afterToken = transport.Count;

        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        using var response = await client.PostAsync(Register, null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(afterToken + 2, transport.Count);
        var problem = await DPoPProblem.ReadAsync(response);
        Assert.Equal("use_dpop_nonce", problem?.Error);
    }

    [Fact]
    public async Task A_token_request_answered_use_dpop_nonce_is_retried_once_with_the_nonce()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        app.MapPost("/token", (HttpRequest request) =>
        {
            var result = new DPoPProofValidator(new DPoPOptions()).Validate(request.Headers["DPoP"].ToString(), request, accessToken: null);
            if (!result.IsValid)
            {
                return Results.Json(new { error = "invalid_dpop_proof", error_description = result.Failure.Detail }, statusCode: 400);
            }

            if (result.Proof.Nonce != "server-nonce-1")
            {
                request.HttpContext.Response.Headers["DPoP-Nonce"] = "server-nonce-1";
                return Results.Json(new { error = "use_dpop_nonce", error_description = "Authorization server requires nonce in DPoP proof" }, statusCode: 400);
            }

            return Results.Json(new { access_token = "opaque-token", token_type = "DPoP", expires_in = 60 });
        });
        await app.StartAsync();
        using var plain = app.GetTestClient();
        using var session = new DPoPSession();

        string token = await session.RequestTokenAsync(plain, new Uri(plain.BaseAddress!, "/token"));
        Assert.Equal("opaque-token", token);
        Assert.Equal("server-nonce-1", session.GetNonce(plain.BaseAddress!));
    }

    [Fact]
    public async Task AddHttpClient_AddDPoP_wires_the_session_into_a_named_client()
    {
        await using var api = new SampleApi();
        var services = new ServiceCollection();
        services.AddSingleton(new DPoPSession());
        services.AddHttpClient("arcp", c => c.BaseAddress = SampleApi.BaseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => api.Server.CreateHandler())
            .AddDPoP();
        await using var provider = services.BuildServiceProvider();
        var session = provider.GetRequiredService<DPoPSession>();
        using (var plain = new HttpClient(api.Server.CreateHandler()))
        {
            await session.RequestTokenAsync(plain, TokenEndpoint);
        }

        using var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("arcp");
        using var response = await client.PostAsync("/agents/register", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private sealed class RejectingNonceService : IDPoPNonceService
    {
        private int _issued;

        public ValueTask<string> GetNonceAsync(HttpContext context, string scheme, DPoPOptions options) =>
            ValueTask.FromResult("nonce-" + Interlocked.Increment(ref _issued));

        public ValueTask<DPoPNonceValidation> ValidateNonceAsync(HttpContext context, string scheme, DPoPOptions options, string nonce) =>
            ValueTask.FromResult(DPoPNonceValidation.Invalid);
    }
}
