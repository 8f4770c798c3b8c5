using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// The client's token lifecycle (issue 15, part 6), against a real token endpoint and API on loopback: the token
/// endpoint checks every proof with the server library's validator, counts the token requests and issues short-lived
/// opaque tokens bound to the proof's key; the API accepts only a live token whose key signed the request's proof.
/// </summary>
public sealed class TokenLifecycleTests
{
    /// <summary>A token endpoint (<c>POST /token</c>) and an API (<c>GET /api/me</c>) on one loopback origin.</summary>
    private sealed class TokenServer : IAsyncDisposable
    {
        private readonly Dictionary<string, string> _tokens = []; // token -> jkt it is bound to
        private int _tokenRequests;

        public LoopbackServer Server { get; private set; } = null!;

        public int TokenRequests => Volatile.Read(ref _tokenRequests);

        /// <summary>The token endpoint answers a proof without this nonce with 400 use_dpop_nonce.</summary>
        public string? RequiredNonce { get; init; }

        public int ExpiresIn { get; init; } = 300;

        public TimeSpan Delay { get; init; }

        public List<string> TokenRequestAuthorizations { get; } = [];

        public List<string> TokenRequestForms { get; } = [];

        public List<string?> TokenRequestNonces { get; } = [];

        public Uri TokenEndpoint => Server.Url("/token");

        public string? LastIssued { get; private set; }

        /// <summary>Where <c>GET /moved</c> redirects.</summary>
        public Uri? RedirectTarget { get; set; }

        public static async Task<TokenServer> StartAsync(TokenServer server)
        {
            server.Server = await LoopbackServer.StartAsync((_, app) =>
            {
                app.MapPost("/token", (Func<HttpContext, Task<IResult>>)server.IssueAsync);
                app.MapGet("/api/me", (Func<HttpContext, IResult>)server.Me);
                app.MapGet("/moved", () => Results.Redirect(server.RedirectTarget!.ToString()));
            });
            return server;
        }

        /// <summary>The API refuses this token from now on (revoked).</summary>
        public void Revoke(string token)
        {
            lock (_tokens)
            {
                _tokens.Remove(token);
            }
        }

        public string? BoundKey(string token)
        {
            lock (_tokens)
            {
                return _tokens.GetValueOrDefault(token);
            }
        }

        private async Task<IResult> IssueAsync(HttpContext context)
        {
            int n = Interlocked.Increment(ref _tokenRequests);
            var form = await context.Request.ReadFormAsync();
            string proofHeader = context.Request.Headers["DPoP"].ToString();
            var result = new DPoPProofValidator(new DPoPOptions()).Validate(proofHeader, context.Request, accessToken: null);
            lock (TokenRequestForms)
            {
                TokenRequestAuthorizations.Add(context.Request.Headers.Authorization.ToString());
                TokenRequestForms.Add(string.Join('&', form.Select(f => f.Key + "=" + f.Value)));
                TokenRequestNonces.Add(result.Proof?.Nonce);
            }

            if (!result.IsValid)
            {
                return Results.Json(new { error = "invalid_dpop_proof", error_description = result.Failure!.Detail }, statusCode: 400);
            }

            if (RequiredNonce is not null && result.Proof!.Nonce != RequiredNonce)
            {
                context.Response.Headers["DPoP-Nonce"] = RequiredNonce;
                return Results.Json(new { error = "use_dpop_nonce", error_description = "Authorization server requires nonce in DPoP proof" }, statusCode: 400);
            }

            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay);
            }

            string token = "token-" + n;
            lock (_tokens)
            {
                _tokens[token] = result.Proof!.Jkt;
            }

            LastIssued = token;
            return Results.Json(new { access_token = token, token_type = "DPoP", expires_in = ExpiresIn });
        }

        private IResult Me(HttpContext context)
        {
            string authorization = context.Request.Headers.Authorization.ToString();
            string token = authorization.StartsWith("DPoP ", StringComparison.Ordinal) ? authorization[5..] : "";
            string? jkt = BoundKey(token);
            var proof = new DPoPProofValidator(new DPoPOptions()).Validate(context.Request.Headers["DPoP"].ToString(), context.Request, token);
            if (jkt is null || !proof.IsValid || proof.Proof!.Jkt != jkt)
            {
                context.Response.Headers.WWWAuthenticate = "DPoP error=\"invalid_token\", error_description=\"The access token expired or was revoked\"";
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }

            return Results.Text(token);
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();
    }

    private static (HttpClient Client, ServiceProvider Provider) Client(TokenServer server, Action<DPoPTokenOptions>? configure = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddHttpClient("api", c => c.BaseAddress = server.Server.Origin)
            .AddDPoP(o =>
            {
                o.TokenEndpoint = server.TokenEndpoint;
                o.ClientId = "agent-7";
                o.ClientSecret = "s3cret:&";
                o.Scope = "agents:read";
                configure?.Invoke(o);
            });
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IHttpClientFactory>().CreateClient("api"), provider);
    }

    [Fact]
    public async Task The_first_request_gets_a_token_bound_to_the_clients_key_and_later_requests_reuse_it()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer());
        var (client, provider) = Client(server);
        using var _ = provider;

        for (int i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(new Uri("/api/me", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("token-1", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, server.TokenRequests);
        var session = provider.GetRequiredKeyedService<DPoPSession>("api");
        Assert.Equal(session.Key.Thumbprint, server.BoundKey("token-1"));
        // Client credentials (RFC 6749 §4.4), the secret in Basic with id and secret form-encoded (§2.3.1).
        Assert.Equal("grant_type=client_credentials&scope=agents:read", server.TokenRequestForms[0]);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("agent-7:s3cret%3A%26")), server.TokenRequestAuthorizations[0]);
    }

    [Fact]
    public async Task A_token_is_replaced_the_configured_margin_before_it_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TokenServer.StartAsync(new TokenServer { ExpiresIn = 300 });
        var (client, provider) = Client(server, o => o.RefreshBeforeExpiry = TimeSpan.FromSeconds(30), time);
        using var _ = provider;

        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        time.Advance(TimeSpan.FromSeconds(269)); // 31 s before expiry: still good
        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        time.Advance(TimeSpan.FromSeconds(2)); // 29 s before expiry: inside the margin
        Assert.Equal("token-2", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        Assert.Equal(2, server.TokenRequests);
    }

    [Fact]
    public async Task A_token_that_lives_shorter_than_the_margin_is_used_for_half_its_life_not_requested_on_every_call()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TokenServer.StartAsync(new TokenServer { ExpiresIn = 20 });
        var (client, provider) = Client(server, time: time); // the default margin, one minute, is longer than 20 s
        using var _ = provider;

        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("token-2", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        Assert.Equal(2, server.TokenRequests);
    }

    [Fact]
    public async Task Concurrent_first_requests_share_one_token_request()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer { Delay = TimeSpan.FromMilliseconds(300) });
        var (client, provider) = Client(server);
        using var _ = provider;

        var calls = Enumerable.Range(0, 20).Select(_ => client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        string[] tokens = await Task.WhenAll(calls);

        Assert.All(tokens, t => Assert.Equal("token-1", t));
        Assert.Equal(1, server.TokenRequests);
    }

    [Fact]
    public async Task The_request_that_started_a_token_request_giving_up_does_not_fail_the_others_waiting_for_it()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer { Delay = TimeSpan.FromMilliseconds(400) });
        var (client, provider) = Client(server);
        using var _ = provider;
        using var impatient = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var first = client.GetAsync(new Uri("/api/me", UriKind.Relative), impatient.Token);
        var second = client.GetStringAsync(new Uri("/api/me", UriKind.Relative));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal("token-1", await second);
        Assert.Equal(1, server.TokenRequests);
    }

    [Fact]
    public async Task Rotating_the_key_drops_the_token_and_the_next_request_gets_one_bound_to_the_new_key()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer());
        var (client, provider) = Client(server);
        using var _ = provider;
        var session = provider.GetRequiredKeyedService<DPoPSession>("api");

        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        var newKey = session.RotateKey();
        Assert.Equal("token-2", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));

        Assert.Equal(newKey.Thumbprint, server.BoundKey("token-2"));
        Assert.NotEqual(server.BoundKey("token-1"), server.BoundKey("token-2"));
        Assert.Equal(2, server.TokenRequests);
    }

    [Fact]
    public async Task A_use_dpop_nonce_answer_from_the_token_endpoint_is_retried_once_with_its_nonce()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer { RequiredNonce = "as-nonce-1" });
        var (client, provider) = Client(server);
        using var _ = provider;

        Assert.Equal("token-2", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));

        Assert.Equal(2, server.TokenRequests);
        Assert.Equal([null, "as-nonce-1"], server.TokenRequestNonces);
    }

    [Fact]
    public async Task A_token_the_api_refuses_as_invalid_token_is_dropped_and_the_request_retried_once_with_a_new_one()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer());
        var (client, provider) = Client(server);
        using var _ = provider;

        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        server.Revoke("token-1"); // revoked (or expired early) on the server's side

        Assert.Equal("token-2", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        Assert.Equal(2, server.TokenRequests);
        Assert.Equal(["token-1", "token-2"], server.Server.Received.Where(r => r.PathAndQuery == "/api/me").Skip(1).Select(r => r.Authorization[5..]));
    }

    [Fact]
    public async Task When_the_new_token_is_refused_too_the_401_reaches_the_caller_after_one_retry()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer());
        var (client, provider) = Client(server);
        using var _ = provider;
        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
        server.Revoke("token-1");
        int before = server.Server.Received.Count;

        // Every token the API sees is revoked before it gets there.
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = server.Server.Origin)
            .AddDPoP(o => o.TokenEndpoint = server.TokenEndpoint)
            .AddHttpMessageHandler(() => new RevokeEverything(server));
        using var revokingProvider = services.BuildServiceProvider();
        var revokingClient = revokingProvider.GetRequiredService<IHttpClientFactory>().CreateClient("api");

        using var response = await revokingClient.GetAsync(new Uri("/api/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        // Two token requests (the first and the one retry), two API calls: no loop.
        Assert.Equal(3, server.TokenRequests);
        Assert.Equal(2, server.Server.Received.Skip(before).Count(r => r.PathAndQuery == "/api/me"));
    }

    private sealed class RevokeEverything(TokenServer server) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Headers.Authorization?.Parameter is { } token)
            {
                server.Revoke(token);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    [Fact]
    public async Task An_invalid_token_answer_from_another_origin_after_a_redirect_neither_drops_the_token_nor_gets_a_new_one()
    {
        await using var foreign = await LoopbackServer.StartAsync((_, app) => app.MapGet("/elsewhere", IResult (HttpContext context) =>
        {
            context.Response.Headers.WWWAuthenticate = "DPoP error=\"invalid_token\"";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }));
        await using var server = await TokenServer.StartAsync(new TokenServer());
        server.RedirectTarget = foreign.Url("/elsewhere");
        var (client, provider) = Client(server);
        using var _ = provider;
        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));

        using var response = await client.GetAsync(new Uri("/moved", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(1, server.TokenRequests);
        var hop = Assert.Single(foreign.Received);
        Assert.Equal("", hop.Authorization);
        Assert.Equal("", hop.DPoP);
        Assert.Equal("token-1", await client.GetStringAsync(new Uri("/api/me", UriKind.Relative)));
    }

    [Fact]
    public async Task A_token_endpoint_error_reaches_the_caller_as_a_DPoPTokenRequestException()
    {
        await using var server = await TokenServer.StartAsync(new TokenServer());
        var (client, provider) = Client(server, o => o.TokenEndpoint = server.Server.Url("/nothing-here"));
        using var _ = provider;

        var error = await Assert.ThrowsAsync<DPoPTokenRequestException>(() => client.GetAsync(new Uri("/api/me", UriKind.Relative)));
        Assert.Equal(404, error.Status);
    }

    [Theory]
    [InlineData("http://auth.example/token")]
    [InlineData("/token")]
    public void A_token_endpoint_that_is_not_https_or_loopback_is_refused_before_any_secret_is_sent(string endpoint)
    {
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = new Uri("https://api.example/"))
            .AddDPoP(o =>
            {
                o.TokenEndpoint = new Uri(endpoint, UriKind.RelativeOrAbsolute);
                o.ClientId = "agent";
                o.ClientSecret = "secret";
            });
        using var provider = services.BuildServiceProvider();

        // Refused when the client is made, before any request.
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient("api"));
        Assert.Contains("TokenEndpoint", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Against_the_sample_apis_development_issuer_the_client_gets_its_own_token_and_calls_the_api(bool requireNonce)
    {
        await using var api = new SampleApi { RequireNonce = requireNonce };
        var transport = api.Transport();
        var services = new ServiceCollection();
        services.AddHttpClient("arcp", c => c.BaseAddress = SampleApi.BaseAddress)
            .ConfigurePrimaryHttpMessageHandler(() => api.Server.CreateHandler())
            .AddDPoP(o =>
            {
                o.TokenEndpoint = new Uri(SampleApi.BaseAddress, "/dev-issuer/token");
                o.ClientId = "lifecycle-agent";
            });
        services.AddHttpClient(DPoPTokenManager.TokenHttpClientName).ConfigurePrimaryHttpMessageHandler(() => transport);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("arcp");

        for (int i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync(new Uri("/agents/me", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            string body = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"agent_id\":\"lifecycle-agent\"", body, StringComparison.Ordinal);
            Assert.Contains(provider.GetRequiredKeyedService<DPoPSession>("arcp").Key.Thumbprint, body, StringComparison.Ordinal);
        }

        // One token for both calls; with RequireNonce the token endpoint first answers use_dpop_nonce (RFC 9449 §8) and
        // the client retries once with its nonce.
        Assert.Equal(requireNonce ? 2 : 1, transport.Count);
    }
}
