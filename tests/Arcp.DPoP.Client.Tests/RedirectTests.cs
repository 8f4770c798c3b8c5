using Arcp.DPoP.Testing;
using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// Redirects, against real servers on loopback (issue 11, item 1): the token and proofs go only to the origin the
/// request was made for; a same-origin redirect is followed with a fresh proof for the new URL.
/// </summary>
public sealed class RedirectTests
{
    private const string OpaqueToken = "the-agents-access-token";

    public static TheoryData<string> Wirings() =>
    [
        "AddHttpClient().AddDPoP()",
        "AddDPoP(), then a handler below it and a SocketsHttpHandler primary",
        "InnerHandler = new SocketsHttpHandler()",
        "InnerHandler = new HttpClientHandler()",
    ];

    private sealed class PassThrough : DelegatingHandler;

    /// <summary>
    /// A server on another origin that answers what makes a naive client sign for it: 401 use_dpop_nonce with a nonce.
    /// Optionally it first redirects to <paramref name="redirectTo"/>.
    /// </summary>
    private static Task<LoopbackServer> ForeignAsync(Func<Uri?>? redirectTo = null) =>
        LoopbackServer.StartAsync((_, app) => app.Map("/{**rest}", (HttpContext context) =>
        {
            if (redirectTo?.Invoke() is { } target)
            {
                return Results.Redirect(target.ToString());
            }

            context.Response.Headers["DPoP-Nonce"] = "foreign-nonce";
            context.Response.Headers.WWWAuthenticate = "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }));

    private static (HttpClient Client, IDisposable Owner) Client(string wiring, DPoPSession session)
    {
        switch (wiring)
        {
            case "AddHttpClient().AddDPoP()":
                var services = new ServiceCollection();
                services.AddSingleton(session);
                services.AddHttpClient("arcp").AddDPoP();
                var provider = services.BuildServiceProvider();
                return (provider.GetRequiredService<IHttpClientFactory>().CreateClient("arcp"), provider);
            case "AddDPoP(), then a handler below it and a SocketsHttpHandler primary":
                var later = new ServiceCollection();
                later.AddSingleton(session);
                later.AddHttpClient("arcp").AddDPoP()
                    .AddHttpMessageHandler(() => new PassThrough())
                    .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler());
                var laterProvider = later.BuildServiceProvider();
                return (laterProvider.GetRequiredService<IHttpClientFactory>().CreateClient("arcp"), laterProvider);
            case "InnerHandler = new SocketsHttpHandler()":
                var sockets = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = new SocketsHttpHandler() });
                return (sockets, sockets);
            default:
                var handler = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = new HttpClientHandler() });
                return (handler, handler);
        }
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task A_redirect_to_another_origin_never_carries_the_token_or_a_proof(string wiring)
    {
        await using var foreign = await ForeignAsync();
        await using var api = await LoopbackServer.StartAsync((_, app) =>
            app.MapPost("/agents/register", () => Results.Redirect(foreign.Url("/collect").ToString(), permanent: false, preserveMethod: true)));
        using var session = new DPoPSession();
        session.SetAccessToken(OpaqueToken);
        var (client, owner) = Client(wiring, session);
        using (owner)
        {
            using var response = await client.PostAsync(api.Url("/agents/register"), new StringContent("{\"name\":\"agent\"}"));

            // The foreign origin's 401 comes back to the caller as it is: no retry toward it.
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var atApi = Assert.Single(api.Received);
        Assert.Equal("DPoP " + OpaqueToken, atApi.Authorization);
        Assert.Equal(api.Url("/agents/register").ToString(), ProofClaims.Htu(atApi.DPoP));

        var atForeign = Assert.Single(foreign.Received);
        Assert.Equal(string.Empty, atForeign.Authorization);
        Assert.Equal(string.Empty, atForeign.DPoP);
        Assert.Null(session.GetNonce(foreign.Origin));
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task A_redirect_chain_that_left_the_origin_is_never_signed_again_even_back_home(string wiring)
    {
        LoopbackServer? api = null;
        await using var foreign = await ForeignAsync(() => api!.Url("/agents/delete-everything"));
        api = await LoopbackServer.StartAsync((_, app) =>
        {
            app.MapGet("/agents/me", () => Results.Redirect(foreign.Url("/bounce").ToString()));
            app.MapGet("/agents/delete-everything", () => Results.Ok("reached"));
        });
        await using (api)
        {
            using var session = new DPoPSession();
            session.SetAccessToken(OpaqueToken);
            var (client, owner) = Client(wiring, session);
            using (owner)
            {
                using var response = await client.GetAsync(api.Url("/agents/me"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.Equal(2, api.Received.Count);
            Assert.Equal("DPoP " + OpaqueToken, api.Received[0].Authorization);
            // The hop back home was chosen by the foreign origin: it goes without the agent's credentials.
            Assert.Equal("/agents/delete-everything", api.Received[1].PathAndQuery);
            Assert.Equal(string.Empty, api.Received[1].Authorization);
            Assert.Equal(string.Empty, api.Received[1].DPoP);
            var atForeign = Assert.Single(foreign.Received);
            Assert.Equal(string.Empty, atForeign.Authorization);
            Assert.Equal(string.Empty, atForeign.DPoP);
        }
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task A_same_origin_redirect_is_followed_with_a_fresh_proof_for_the_new_URL(string wiring)
    {
        using var issuer = new TestTokenIssuer(TimeProvider.System);
        await using var api = await LoopbackServer.StartAsync(
            (_, app) =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                var dpop = new AuthorizeAttribute { AuthenticationSchemes = "DPoP" };
                app.MapPost("/agents/enrol", () => Results.Redirect("/agents/register", permanent: true, preserveMethod: true)).RequireAuthorization(dpop);
                app.MapPost("/agents/register", async (HttpContext context) =>
                    context.User.FindFirst("jkt")?.Value + " " + await new StreamReader(context.Request.Body).ReadToEndAsync()).RequireAuthorization(dpop);
            },
            (port, services) =>
            {
                services.AddAuthentication().AddDPoP(o =>
                {
                    o.Audience = "arcp-api";
                    o.PublicOrigin = $"http://127.0.0.1:{port}";
                    o.RequireNonce = true;
                    o.TokenValidationParameters.ValidIssuer = TestTokenIssuer.Issuer;
                    o.TokenValidationParameters.IssuerSigningKey = issuer.SigningKey;
                });
                services.AddAuthorization();
            });
        using var session = new DPoPSession();
        session.SetAccessToken(issuer.CreateToken("agent-1", "arcp-api", session.Key.Thumbprint, TimeSpan.FromMinutes(5)));
        var (client, owner) = Client(wiring, session);
        using (owner)
        {
            using var response = await client.PostAsync(api.Url("/agents/enrol"), new StringContent("{\"name\":\"agent\"}"));
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal(session.Key.Thumbprint + " {\"name\":\"agent\"}", body);
        }

        // 401 use_dpop_nonce, the retry with the nonce, the 308; then the new URL, signed for itself.
        Assert.Equal(["/agents/enrol", "/agents/enrol", "/agents/register"], api.Received.Select(r => r.PathAndQuery));
        Assert.All(api.Received, r => Assert.Equal(api.Url(r.PathAndQuery).ToString(), ProofClaims.Htu(r.DPoP)));
        Assert.Equal(3, api.Received.Select(r => ProofClaims.Read(r.DPoP, "jti")).Distinct().Count());
    }

    [Fact]
    public async Task A_transport_that_follows_redirects_and_was_already_used_is_refused_rather_than_trusted()
    {
        await using var api = await LoopbackServer.StartAsync((_, app) => app.MapGet("/agents/me", () => "ok"));
        using var transport = new SocketsHttpHandler();
        using (var other = new HttpClient(transport, disposeHandler: false))
        {
            using var warm = await other.GetAsync(api.Url("/agents/me")); // someone else used it first
        }

        using var session = new DPoPSession();
        session.SetAccessToken(OpaqueToken);
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetAsync(api.Url("/agents/me")));
        Assert.Contains("AllowAutoRedirect = false", ex.Message, StringComparison.Ordinal);
        Assert.Single(api.Received); // only the other client's request reached the server
    }

    [Fact]
    public async Task A_transport_told_not_to_follow_redirects_keeps_its_word()
    {
        await using var api = await LoopbackServer.StartAsync((_, app) => app.MapGet("/agents/me", () => Results.Redirect("/agents/moved")));
        using var session = new DPoPSession();
        session.SetAccessToken(OpaqueToken);
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } });
        using var response = await client.GetAsync(api.Url("/agents/me"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Single(api.Received);
    }

    [Fact]
    public async Task Two_DPoP_handlers_over_one_transport_both_follow_same_origin_redirects()
    {
        await using var api = await LoopbackServer.StartAsync((_, app) =>
        {
            app.MapGet("/agents/me", () => Results.Redirect("/agents/moved"));
            app.MapGet("/agents/moved", () => "moved");
        });
        using var transport = new SocketsHttpHandler(); // shared, as a primary handler a factory hands out again
        using var session = new DPoPSession();
        session.SetAccessToken(OpaqueToken);
        foreach (int _ in new[] { 1, 2 })
        {
            using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = transport }, disposeHandler: false);
            using var response = await client.GetAsync(api.Url("/agents/me"));
            Assert.Equal("moved", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(4, api.Received.Count);
        Assert.All(api.Received, r => Assert.Equal(api.Url(r.PathAndQuery).ToString(), ProofClaims.Htu(r.DPoP)));
    }

    [Fact]
    public async Task A_307_for_a_streaming_body_that_cannot_go_again_is_returned_not_followed()
    {
        await using var api = await LoopbackServer.StartAsync((_, app) =>
            app.MapPost("/agents/upload", () => Results.Redirect("/agents/upload-here", permanent: false, preserveMethod: true)));
        using var session = new DPoPSession();
        session.SetAccessToken(OpaqueToken);
        using var client = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = new SocketsHttpHandler() });
        using var body = new StreamContent(new NonSeekable(new MemoryStream(new byte[2 * 1024 * 1024])));
        using var response = await client.PostAsync(api.Url("/agents/upload"), body);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
        Assert.Single(api.Received);
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
