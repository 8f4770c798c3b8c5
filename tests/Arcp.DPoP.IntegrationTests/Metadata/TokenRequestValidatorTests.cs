using System.Net;
using System.Text.Json;
using Arcp.DPoP.IntegrationTests.Security;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP.IntegrationTests.Metadata;

/// <summary>
/// <see cref="IDPoPTokenRequestValidator"/> at a token endpoint (RFC 9449 §5): the handler's proof checks, the same
/// replay cache (a proof used at the endpoint is refused by the API and the other way round), the same nonces, and
/// refusals as 400 problem documents with <c>error</c>/<c>error_description</c> (RFC 9449 §5, §8).
/// </summary>
public sealed class TokenRequestValidatorTests
{
    // /token: a token endpoint. /both: the API when the request has Authorization, else the token endpoint, so one
    // proof (same htm and htu) can be tried at both.
    private static Task<SecurityApi> StartAsync(Action<DPoPOptions>? configure = null) => SecurityApi.StartAsync(new()
    {
        Configure = configure,
        Pipeline = app =>
        {
            app.MapPost("/token", TokenEndpointAsync);
            app.MapPost("/both", async (HttpContext context, IDPoPTokenRequestValidator dpop) =>
            {
                if (context.Request.Headers.Authorization.Count == 0)
                {
                    return await TokenEndpointAsync(context, dpop);
                }

                var result = await context.AuthenticateAsync(DPoPDefaults.AuthenticationScheme);
                return result.Succeeded ? Results.Ok(new { api = true }) : Results.Challenge(authenticationSchemes: [DPoPDefaults.AuthenticationScheme]);
            });
        },
    });

    private static async Task<IResult> TokenEndpointAsync(HttpContext context, IDPoPTokenRequestValidator dpop)
    {
        var proof = await dpop.ValidateAsync(context);
        return proof.Succeeded ? Results.Ok(new { jkt = proof.Jkt, alg = proof.Proof.Algorithm }) : proof.ToProblemResult();
    }

    private static HttpRequestMessage TokenRequest(string path, string? proof) => SecurityApi.Request(path, token: null, proof);

    private static async Task<JsonElement> AssertRefusedAsync(HttpResponseMessage response, string slug, string error)
    {
        var problem = await Problem.AssertAsync(response, slug, HttpStatusCode.BadRequest);
        Assert.Equal(error, problem.GetProperty("error").GetString());
        Assert.Equal(problem.GetProperty("detail").GetString(), problem.GetProperty("error_description").GetString()); // RFC 6749 §5.2
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Empty(response.Headers.WwwAuthenticate); // a token endpoint does not challenge
        return problem;
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("EdDSA")]
    [InlineData("PS256")]
    public async Task A_good_proof_gives_its_key_thumbprint(string algorithm)
    {
        await using var api = await StartAsync();
        using var key = TestKey.Create(algorithm);
        using var response = await api.Client.SendAsync(TokenRequest("/token", SecurityApi.Proof(key, "/token", token: null)));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(key.Jkt, json.RootElement.GetProperty("jkt").GetString());
        Assert.Equal(algorithm, json.RootElement.GetProperty("alg").GetString());
    }

    [Fact]
    public async Task A_proof_used_twice_at_the_endpoint_is_refused_the_second_time()
    {
        await using var api = await StartAsync();
        using var key = TestKey.Create();
        string proof = SecurityApi.Proof(key, "/token", token: null);
        using var first = await api.Client.SendAsync(TokenRequest("/token", proof));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await api.Client.SendAsync(TokenRequest("/token", proof));
        var problem = await AssertRefusedAsync(second, "dpop-invalid", "invalid_dpop_proof");
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proof_the_API_accepted_is_refused_at_the_token_endpoint()
    {
        await using var api = await StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string proof = SecurityApi.Proof(key, "/both", token); // with ath: the endpoint ignores it, the API needs it

        using var atApi = await api.Client.SendAsync(SecurityApi.Request("/both", token, proof));
        Assert.Equal(HttpStatusCode.OK, atApi.StatusCode);
        using var atEndpoint = await api.Client.SendAsync(TokenRequest("/both", proof));
        var problem = await AssertRefusedAsync(atEndpoint, "dpop-invalid", "invalid_dpop_proof");
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proof_the_token_endpoint_accepted_is_refused_by_the_API()
    {
        await using var api = await StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string proof = SecurityApi.Proof(key, "/both", token);

        using var atEndpoint = await api.Client.SendAsync(TokenRequest("/both", proof));
        Assert.Equal(HttpStatusCode.OK, atEndpoint.StatusCode);
        using var atApi = await api.Client.SendAsync(SecurityApi.Request("/both", token, proof));
        var problem = await Problem.AssertAsync(atApi, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_RequireNonce_the_first_proof_gets_use_dpop_nonce_and_the_retry_with_the_nonce_succeeds()
    {
        await using var api = await StartAsync(o => o.RequireNonce = true);
        using var key = TestKey.Create();
        using var first = await api.Client.SendAsync(TokenRequest("/token", SecurityApi.Proof(key, "/token", token: null)));
        await AssertRefusedAsync(first, "dpop-invalid", "use_dpop_nonce");
        string nonce = Assert.Single(first.Headers.GetValues("DPoP-Nonce"));

        var retry = new ProofBuilder(key, "POST", SecurityApi.Origin + "/token");
        retry.Payload["nonce"] = nonce;
        using var second = await api.Client.SendAsync(TokenRequest("/token", retry.Build()));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        // A nonce this endpoint did not issue is refused with a fresh one.
        var forged = new ProofBuilder(key, "POST", SecurityApi.Origin + "/token");
        forged.Payload["nonce"] = "bm90LWEtbm9uY2U";
        using var third = await api.Client.SendAsync(TokenRequest("/token", forged.Build()));
        await AssertRefusedAsync(third, "dpop-invalid", "use_dpop_nonce");
        Assert.Equal(nonce, Assert.Single(third.Headers.GetValues("DPoP-Nonce")));
    }

    [Fact]
    public async Task No_proof_two_proofs_and_a_proof_for_another_url_are_refused_with_the_check_named()
    {
        await using var api = await StartAsync();
        using var key = TestKey.Create();

        using var none = await api.Client.SendAsync(TokenRequest("/token", proof: null));
        var missing = await AssertRefusedAsync(none, "dpop-required", "invalid_dpop_proof");
        Assert.Contains("no DPoP header", missing.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var twoHeaders = TokenRequest("/token", SecurityApi.Proof(key, "/token", null));
        twoHeaders.Headers.TryAddWithoutValidation("DPoP", SecurityApi.Proof(key, "/token", null));
        using var two = await api.Client.SendAsync(twoHeaders);
        await AssertRefusedAsync(two, "dpop-invalid", "invalid_dpop_proof");

        using var elsewhere = await api.Client.SendAsync(TokenRequest("/token", SecurityApi.Proof(key, "/orders", null)));
        var htu = await AssertRefusedAsync(elsewhere, "dpop-invalid", "invalid_dpop_proof");
        Assert.Contains("htu", htu.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var get = await api.Client.SendAsync(TokenRequest("/token", SecurityApi.Proof(key, "/token", null, method: "GET")));
        var htm = await AssertRefusedAsync(get, "dpop-invalid", "invalid_dpop_proof");
        Assert.Contains("htm", htm.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_cache_that_cannot_answer_is_a_503_with_Retry_After_and_nothing_accepted()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Services = s => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<IDPoPReplayCache, BrokenReplayCache>(s),
            Pipeline = app => app.MapPost("/token", TokenEndpointAsync),
        });
        using var key = TestKey.Create();
        using var response = await api.Client.SendAsync(TokenRequest("/token", SecurityApi.Proof(key, "/token", null)));
        var problem = await Problem.AssertAsync(response, "service-unavailable", HttpStatusCode.ServiceUnavailable);
        Assert.Equal("temporarily_unavailable", problem.GetProperty("error").GetString());
        Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
    }

    private sealed class BrokenReplayCache : IDPoPReplayCache
    {
        public ValueTask<bool> TryAddAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
            throw new TimeoutException("the store is down");
    }
}
