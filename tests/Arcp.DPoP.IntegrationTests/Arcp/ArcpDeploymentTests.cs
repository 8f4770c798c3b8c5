using System.Buffers.Text;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// The sample API in front of an ARCP-style issuer, configured from settings alone (as environment variables would),
/// in each of ARCP's modes: EdDSA JWKS and ES256 JWKS through <c>MetadataAddress</c> = ARCP's discovery document, and
/// HS256 shared secret through <c>SigningKeys</c>. The agent sends what ARCP clients send: <c>Authorization: Bearer</c>
/// plus an ARCP-shaped proof.
/// </summary>
public sealed class ArcpDeploymentTests
{
    private const string P = "Authentication:Schemes:DPoP:";
    private const string Register = "/agents/register";

    /// <summary>EdDSA proofs (all ARCP's helper signs) and ES256 proofs (the other algorithm ARCP's server accepts).</summary>
    public static TheoryData<string, string> ModesAndProofAlgorithms()
    {
        var data = new TheoryData<string, string>();
        foreach (string mode in new[] { "EdDSA", "ES256", "HS256" })
        {
            foreach (string proof in ProofAlgorithms())
            {
                data.Add(mode, proof);
            }
        }

        return data;
    }

    private static string[] ProofAlgorithms() => ["EdDSA", "ES256"];

    /// <summary>What ARCP's own helper signs with.</summary>
    private const string AgentAlgorithm = "EdDSA";

    /// <summary>The sample in Production, pointed at the issuer by configuration only.</summary>
    private static SampleApiFactory Sample(ArcpStyleIssuer issuer, string audience = "arcp:register")
    {
        var factory = new SampleApiFactory { Environment = "Production" };
        factory.Settings[P + "PublicOrigin"] = "http://localhost";
        factory.Settings[P + "Audience"] = audience;
        if (issuer.Mode == "HS256")
        {
            // JWKS_ENABLED=false: HS256 with JWT_SECRET, tokens without iss or kid.
            factory.Settings[P + "SigningKeys:0:Issuer"] = "arcp";
            factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(issuer.SigningKey.Secret);
            factory.Settings[P + "ValidateIssuer"] = "false";
        }
        else
        {
            factory.Settings[P + "MetadataAddress"] = issuer.MetadataAddress;
            factory.Settings[P + "RequireHttpsMetadata"] = "false"; // a loopback issuer in a test
        }

        return factory;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string token, string proof, string scheme = "Bearer")
    {
        using var request = SampleApiFactory.Request(method, path, token, proof, scheme);
        return await client.SendAsync(request);
    }

    private static string Proof(ArcpAgent agent, string method, string path, string token) =>
        agent.CreateProof(method, "http://localhost" + path + "?ignored=query", token);

    [Theory]
    [MemberData(nameof(ModesAndProofAlgorithms))]
    public async Task An_ARCP_agent_registers_and_a_rotated_key_without_a_new_token_is_a_key_mismatch(string mode, string proofAlgorithm)
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync(mode);
        await using var factory = Sample(issuer);
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(proofAlgorithm);
        string token = issuer.Issue(agent.Jkt, audience: "arcp:register", tokenType: "validated");

        using (var registered = await SendAsync(client, HttpMethod.Post, Register, token, Proof(agent, "POST", Register, token)))
        {
            string body = await registered.Content.ReadAsStringAsync();
            Assert.True(registered.StatusCode == HttpStatusCode.OK, body);
            using var json = JsonDocument.Parse(body);
            Assert.Equal("agent-7", json.RootElement.GetProperty("agent_id").GetString()); // ARCP's agent_id claim
            Assert.Equal(agent.Jkt, json.RootElement.GetProperty("jkt").GetString());
        }

        // The agent rotates its key but keeps the token bound to the old one.
        using var rotated = new ArcpAgent(proofAlgorithm);
        using var mismatch = await SendAsync(client, HttpMethod.Post, Register, token, Proof(rotated, "POST", Register, token));
        var problem = await Problem.AssertAsync(mismatch, "dpop-binding-mismatch", error: "invalid_token");
        Assert.Equal("DPoP Key Mismatch", problem.GetProperty("title").GetString());
        Assert.Equal("DPoP proof key does not match token binding", problem.GetProperty("detail").GetString());
        Assert.Equal(agent.Jkt, problem.GetProperty("expected_jkt").GetString());
        Assert.Equal(rotated.Jkt, problem.GetProperty("actual_jkt").GetString());

        // The issuer was reached through ARCP's discovery document (JWKS modes), and the development issuer is off.
        Assert.True(mode == "HS256" || issuer.JwksRequests > 0);
        using var devToken = await client.PostAsync("/dev-issuer/token", null);
        Assert.Equal(HttpStatusCode.NotFound, devToken.StatusCode);
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("ES256")]
    [InlineData("HS256")]
    public async Task The_token_issued_after_registration_has_no_audience_and_the_detail_says_so(string mode)
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync(mode);
        await using var factory = Sample(issuer);
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        string token = issuer.Issue(agent.Jkt, audience: null);
        using var response = await SendAsync(client, HttpMethod.Get, "/agents/me", token, Proof(agent, "GET", "/agents/me", token));
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Equal("The access token has no audience (aud); this API expects an audience it is configured for; ask for a token for this API.", detail);
        Assert.DoesNotContain("arcp:register", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_ValidateAudience_off_the_post_registration_token_works_and_startup_warns()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("EdDSA");
        var collector = new FakeLogCollector();
        await using var factory = Sample(issuer);
        factory.Settings[P + "ValidateAudience"] = "false";
        factory.ExtraServices = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(collector)));
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        string token = issuer.Issue(agent.Jkt, audience: null);

        using var response = await SendAsync(client, HttpMethod.Get, "/agents/me", token, Proof(agent, "GET", "/agents/me", token));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("user-7", json.RootElement.GetProperty("name").GetString()); // User.Identity.Name: no name claim, so sub
        Assert.Equal("agent-7", json.RootElement.GetProperty("agent_id").GetString());

        var warnings = collector.GetSnapshot().Where(r => r.Id.Id == 130 && r.Level == LogLevel.Warning).ToList();
        Assert.Contains(warnings, r => r.Message.Contains("ValidateAudience", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, r => r.Message.Contains("ValidateIssuer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_sample_also_runs_with_an_OpenID_Connect_Authority_and_names_come_from_the_name_claim()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("EdDSA");
        await using var factory = new SampleApiFactory { Environment = "Production" };
        factory.Settings[P + "PublicOrigin"] = "http://localhost";
        factory.Settings[P + "Authority"] = issuer.BaseUrl;
        factory.Settings[P + "RequireHttpsMetadata"] = "false";
        factory.Settings[P + "Audience"] = "arcp-api";
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        string token = issuer.Issue(agent.Jkt, "arcp-api", extra: c => c["name"] = "Build Agent 7");

        using var response = await SendAsync(client, HttpMethod.Get, "/agents/me", token, Proof(agent, "GET", "/agents/me", token), scheme: "DPoP");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Build Agent 7", json.RootElement.GetProperty("name").GetString());
        Assert.Equal(agent.Jkt, json.RootElement.GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task Shared_secret_mode_warns_that_the_issuer_is_not_checked()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("HS256");
        var collector = new FakeLogCollector();
        await using var factory = Sample(issuer);
        factory.ExtraServices = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(collector)));
        using var client = factory.CreateClient();
        Assert.Contains(collector.GetSnapshot(), r => r.Id.Id == 130 && r.Level == LogLevel.Warning && r.Message.Contains("ValidateIssuer", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("HS256")]
    public async Task Roles_and_both_scope_forms_protect_the_sample_endpoints(string mode)
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync(mode);
        await using var factory = Sample(issuer);
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);

        async Task<HttpResponseMessage> CallAsync(HttpMethod method, string path, string token) =>
            await SendAsync(client, method, path, token, Proof(agent, method.Method, path, token));

        string agentToken = issuer.Issue(agent.Jkt, "arcp:register", role: "agent");
        using (var heartbeat = await CallAsync(HttpMethod.Post, "/agents/heartbeat", agentToken))
        {
            Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        }

        string userToken = issuer.Issue(agent.Jkt, "arcp:register", role: "user");
        using (var refused = await CallAsync(HttpMethod.Post, "/agents/heartbeat", userToken))
        {
            await Problem.AssertAsync(refused, "insufficient-permissions", HttpStatusCode.Forbidden);
        }

        string scopesArray = issuer.Issue(agent.Jkt, "arcp:register", scopes: ["agents:read", "agents:admin"]);
        using (var list = await CallAsync(HttpMethod.Get, "/agents", scopesArray))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        string scopeString = issuer.Issue(agent.Jkt, "arcp:register", scopes: [], extra: c => c["scope"] = "agents:read agents:admin");
        using (var list = await CallAsync(HttpMethod.Get, "/agents", scopeString))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        string noAdmin = issuer.Issue(agent.Jkt, "arcp:register", scopes: ["agents:register", "agents:administrator"], extra: c => c["scope"] = "agents:read");
        using (var list = await CallAsync(HttpMethod.Get, "/agents", noAdmin))
        {
            await Problem.AssertAsync(list, "insufficient-permissions", HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task With_AllowBearerWithProof_off_a_bound_token_must_use_the_DPoP_scheme()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("ES256");
        await using var factory = Sample(issuer);
        factory.Settings[P + "AllowBearerWithProof"] = "false";
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        string token = issuer.Issue(agent.Jkt, "arcp:register");

        using var bearer = await SendAsync(client, HttpMethod.Post, Register, token, Proof(agent, "POST", Register, token), scheme: "Bearer");
        var problem = await Problem.AssertAsync(bearer, "dpop-required", error: "invalid_dpop_proof");
        Assert.Contains("RFC 9449 §7.2", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("'Authorization: DPoP <token>', not 'Bearer'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var dpop = await SendAsync(client, HttpMethod.Post, Register, token, Proof(agent, "POST", Register, token), scheme: "DPoP");
        Assert.Equal(HttpStatusCode.OK, dpop.StatusCode);
    }

    [Fact]
    public async Task The_issuer_rotates_to_new_keys_and_the_API_follows_on_the_unknown_kid()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("EdDSA");
        await using var factory = Sample(issuer);
        factory.ExtraServices = s => s.Configure<DPoPOptions>(DPoPDefaults.AuthenticationScheme, o => o.RefreshInterval = TimeSpan.FromSeconds(1));
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        string first = issuer.Issue(agent.Jkt, "arcp:register");
        using (var ok = await SendAsync(client, HttpMethod.Post, Register, first, Proof(agent, "POST", Register, first)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // ARCP rotates: a new Ed25519 key, then an ES256 one; the JWKS now mixes OKP and EC keys.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        foreach (string algorithm in new[] { "EdDSA", "ES256" })
        {
            var key = issuer.Rotate(algorithm);
            string token = issuer.Issue(agent.Jkt, "arcp:register", key: key);
            var status = HttpStatusCode.Unauthorized;
            for (int attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
            {
                using var response = await SendAsync(client, HttpMethod.Post, Register, token, Proof(agent, "POST", Register, token));
                status = response.StatusCode;
                if (status != HttpStatusCode.OK)
                {
                    var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
                    Assert.Contains("unknown kid", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
                    await Task.Delay(100);
                }
            }

            Assert.Equal(HttpStatusCode.OK, status);
            await Task.Delay(TimeSpan.FromSeconds(1.1));
        }

        // Tokens signed with the first key still validate: it is still published.
        string again = issuer.Issue(agent.Jkt, "arcp:register", key: null);
        using var stillOk = await SendAsync(client, HttpMethod.Post, Register, again, Proof(agent, "POST", Register, again));
        Assert.Equal(HttpStatusCode.OK, stillOk.StatusCode);
    }

    [Fact]
    public async Task A_token_for_a_published_key_of_an_unsupported_type_says_so()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("EdDSA");
        issuer.PublishAlso(new JsonObject { ["kty"] = "OKP", ["crv"] = "Ed448", ["kid"] = "arcp-ed448", ["use"] = "sig", ["x"] = Base64Url.EncodeToString(new byte[57]) });
        await using var factory = Sample(issuer);
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        using var unpublished = Testing.IssuerKey.Create("EdDSA", "arcp-ed448");
        string token = issuer.Issue(agent.Jkt, "arcp:register", key: unpublished);
        using var response = await SendAsync(client, HttpMethod.Post, Register, token, Proof(agent, "POST", Register, token));
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        Assert.Equal("The issuer publishes key 'arcp-ed448' as kty 'OKP' crv 'Ed448', which is not supported.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_token_signed_with_another_shared_secret_is_refused()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("HS256");
        await using var factory = Sample(issuer);
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        using var otherSecret = Testing.IssuerKey.Create("HS256");
        string token = issuer.Issue(agent.Jkt, "arcp:register", key: otherSecret);
        using var response = await SendAsync(client, HttpMethod.Post, Register, token, Proof(agent, "POST", Register, token));
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        Assert.Equal("The access token names no key (no kid) and none of the issuer's keys verifies its signature.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_symmetric_proof_is_refused_even_when_tokens_use_a_shared_secret()
    {
        await using var issuer = await ArcpStyleIssuer.StartAsync("HS256");
        await using var factory = Sample(issuer);
        using var client = factory.CreateClient();
        using var agent = new ArcpAgent(AgentAlgorithm);
        string token = issuer.Issue(agent.Jkt, "arcp:register");

        // A "proof" MACed with the shared secret, as a confused client might make it.
        var header = new JsonObject { ["alg"] = "HS256", ["jwk"] = agent.Jwk.DeepClone(), ["typ"] = "dpop+jwt" };
        string hsProof = issuer.SigningKey.Sign(header, JsonNode.Parse(Base64Url.DecodeFromChars(Proof(agent, "POST", Register, token).Split('.')[1]))!.AsObject());
        using var response = await SendAsync(client, HttpMethod.Post, Register, token, hsProof);
        var problem = await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("HS256", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
