using System.Net;
using System.Security.Claims;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Each step of the handler (numbered as in docs/architecture.md) refuses on the handler's own test host with the
/// status, the ARCP problem type and the <c>WWW-Authenticate</c> challenge a client acts on; then one request passes
/// every step.
/// </summary>
public sealed class HandlerStepTests
{
    // The server's default list, Ed25519 first, in this order: the challenge's algs (the client shares the names, not the order).
    private const string Algs = "algs=\"EdDSA Ed25519 ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512\"";

    [Fact]
    public async Task No_credentials_get_a_challenge_without_an_error()
    {
        await using var api = await SecurityApi.StartAsync();

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token: null, proof: null));

        await Problem.AssertAsync(response, "authentication-failed");
        Assert.Equal("DPoP " + Algs, Challenge(response));
    }

    [Fact]
    public async Task Step_1_an_Authorization_value_that_is_not_a_token68_is_invalid_request()
    {
        await using var api = await SecurityApi.StartAsync();

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", "not a token", proof: null));

        await AssertRefusedAsync(response, "authentication-failed", "invalid_request", "token68");
    }

    [Fact]
    public async Task Step_2_two_DPoP_headers_are_refused()
    {
        await using var api = await SecurityApi.StartAsync();
        using var agent = api.NewAgent();
        using var request = agent.Request();
        request.Headers.TryAddWithoutValidation("DPoP", agent.Proof());

        using var response = await api.Client.SendAsync(request);

        await AssertRefusedAsync(response, "dpop-invalid", "invalid_dpop_proof", "2 DPoP headers");
    }

    [Fact]
    public async Task Step_3_a_proof_for_another_method_is_refused_before_the_token_is_validated()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string expired = api.Token(key.Jkt, expires: DateTime.UtcNow.AddHours(-1));

        // The proof's free checks come first: with an expired token and a proof for GET, the client hears about htm.
        using var wrongMethod = await api.Client.SendAsync(SecurityApi.Request("/orders", expired, SecurityApi.Proof(key, "/orders", expired, method: "GET")));
        using var rightMethod = await api.Client.SendAsync(SecurityApi.Request("/orders", expired, SecurityApi.Proof(key, "/orders", expired)));

        await AssertRefusedAsync(wrongMethod, "dpop-invalid", "invalid_dpop_proof", "htm 'GET' does not match the request method 'POST'");
        await AssertRefusedAsync(rightMethod, "authentication-failed", "invalid_token", "The access token expired at");
    }

    [Fact]
    public async Task Step_3_a_required_nonce_that_is_missing_asks_for_one()
    {
        await using var api = await SecurityApi.StartAsync(new() { Configure = o => o.RequireNonce = true });
        using var agent = api.NewAgent();

        using var response = await api.Client.SendAsync(agent.Request());

        await AssertRefusedAsync(response, "dpop-invalid", "use_dpop_nonce", "requires a server nonce");
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("DPoP-Nonce").Single()));
    }

    [Fact]
    public async Task Step_4_a_token_for_another_audience_is_invalid_token()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt, audience: "another-api");

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));

        await AssertRefusedAsync(response, "authentication-failed", "invalid_token", "audience");
    }

    [Fact]
    public async Task Step_5_an_unbound_token_under_the_DPoP_scheme_is_token_not_dpop_bound()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(jkt: null);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));

        await AssertRefusedAsync(response, "token-not-dpop-bound", "invalid_token", "no cnf claim");
    }

    [Fact]
    public async Task Step_5_a_bound_token_without_its_proof_is_dpop_required()
    {
        await using var api = await SecurityApi.StartAsync();
        using var agent = api.NewAgent();

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, proof: null));

        await AssertRefusedAsync(response, "dpop-required", "invalid_dpop_proof", "no DPoP header");
    }

    [Fact]
    public async Task Step_6_a_proof_signed_with_another_key_is_a_binding_mismatch_naming_both_thumbprints()
    {
        await using var api = await SecurityApi.StartAsync();
        using var agent = api.NewAgent();
        using var other = TestKey.Create("EdDSA");

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, SecurityApi.Proof(other, "/orders", agent.Token)));

        var problem = await AssertRefusedAsync(response, "dpop-binding-mismatch", "invalid_token", "DPoP proof key does not match token binding");
        Assert.Equal(agent.Key.Jkt, problem.GetProperty("expected_jkt").GetString());
        Assert.Equal(other.Jkt, problem.GetProperty("actual_jkt").GetString());
    }

    [Fact]
    public async Task Step_7_a_proof_whose_signature_does_not_verify_is_refused()
    {
        await using var api = await SecurityApi.StartAsync();
        using var agent = api.NewAgent();
        string forged = new ProofBuilder(agent.Key, "POST", SecurityApi.Origin + "/orders").ForToken(agent.Token).Build(_ => new byte[64]);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, forged));

        await AssertRefusedAsync(response, "dpop-invalid", "invalid_dpop_proof", "does not verify with the proof's jwk");
    }

    [Fact]
    public async Task Step_8_a_proof_used_twice_is_refused_the_second_time()
    {
        await using var api = await SecurityApi.StartAsync();
        using var agent = api.NewAgent("EdDSA");
        string proof = agent.Proof();

        using var first = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, proof));
        using var second = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, proof));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await AssertRefusedAsync(second, "dpop-invalid", "invalid_dpop_proof", "already used");
    }

    [Fact]
    public async Task An_authenticated_request_the_policy_refuses_is_403_insufficient_permissions_without_a_challenge()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Policy = "admins",
            Services = s => s.AddAuthorizationBuilder().AddPolicy("admins", p => p.RequireClaim(ClaimTypes.Role, "admin")),
        });
        using var agent = api.NewAgent();

        using var response = await api.Client.SendAsync(agent.Request());

        await Problem.AssertAsync(response, "insufficient-permissions", HttpStatusCode.Forbidden);
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("ES256")]
    [InlineData("PS256")]
    public async Task A_request_that_passes_every_step_reaches_the_endpoint_with_the_proved_jkt(string algorithm)
    {
        await using var api = await SecurityApi.StartAsync();
        using var agent = api.NewAgent(algorithm);

        using var response = await api.Client.SendAsync(agent.Request());

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains($"\"jkt\":[\"{agent.Key.Jkt}\"]", body, StringComparison.Ordinal);
    }

    // The problem document, and a challenge that carries the same error and detail, then the allowed algorithms.
    private static async Task<System.Text.Json.JsonElement> AssertRefusedAsync(HttpResponseMessage response, string slug, string error, string detailPart)
    {
        var problem = await Problem.AssertAsync(response, slug, error: error);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(detailPart, detail, StringComparison.Ordinal);
        string challenge = Challenge(response);
        Assert.StartsWith($"DPoP error=\"{error}\", error_description=\"", challenge, StringComparison.Ordinal);
        Assert.EndsWith(", " + Algs, challenge, StringComparison.Ordinal);
        return problem;
    }

    private static string Challenge(HttpResponseMessage response) => response.Headers.GetValues("WWW-Authenticate").Single();
}
