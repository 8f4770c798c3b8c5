using System.Net;
using System.Text.Json;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests;

public sealed class DPoPEndToEndTests : IClassFixture<SampleApiFactory>
{
    private const string Register = "/agents/register";
    private readonly SampleApiFactory _factory;

    public DPoPEndToEndTests(SampleApiFactory factory)
    {
        _factory = factory;
    }

    /// <summary>An agent of the sample API: a client, a key and an access token bound to that key.</summary>
    private sealed record Agent(HttpClient Client, TestKey Key, string Token) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            Key.Dispose();
        }
    }

    private async Task<Agent> NewAgentAsync(string algorithm = "ES256", string? agentId = null)
    {
        var client = _factory.CreateClient();
        var key = TestKey.Create(algorithm);
        return new Agent(client, key, await _factory.GetTokenAsync(client, key, agentId));
    }

    private async Task<HttpResponseMessage> SendAsync(HttpClient client, TestKey key, string token, string path = Register, HttpMethod? method = null, string scheme = "DPoP")
    {
        method ??= HttpMethod.Post;
        using var request = SampleApiFactory.Request(method, path, token, _factory.Proof(key, method.Method, path.Split('?')[0], token).Build(), scheme);
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("EdDSA")]
    [InlineData("Ed25519")]
    [InlineData("ES256")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    [InlineData("RS256")]
    [InlineData("PS256")]
    public async Task An_agent_registers_with_a_bound_token_and_a_proof(string algorithm)
    {
        using var agent = await NewAgentAsync(algorithm: algorithm, agentId: "agent-" + algorithm.ToLowerInvariant());
        var (client, key, token) = agent;

        using var response = await SendAsync(client, key, token);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("agent-" + algorithm.ToLowerInvariant(), json.RootElement.GetProperty("agent_id").GetString());
        Assert.Equal(key.Jkt, json.RootElement.GetProperty("jkt").GetString());
    }

    [Fact]
    public async Task A_minimal_api_endpoint_is_protected_the_same_way()
    {
        using var agent = await NewAgentAsync(agentId: "minimal");
        var (client, key, token) = agent;
        using var ok = await SendAsync(client, key, token, "/agents/me", HttpMethod.Get);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains(key.Jkt, await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var refused = await client.GetAsync("/agents/me");
        await Problem.AssertAsync(refused, "authentication-failed");
    }

    [Fact]
    public async Task A_rotated_key_with_the_old_token_is_a_key_mismatch()
    {
        using var client = _factory.CreateClient();
        using var keyA = TestKey.Create();
        using var keyB = TestKey.Create();
        string tokenForA = await _factory.GetTokenAsync(client, keyA, "rotating-agent");

        using var response = await SendAsync(client, keyB, tokenForA);

        var problem = await Problem.AssertAsync(response, "dpop-binding-mismatch", error: "invalid_token");
        Assert.Equal("DPoP Key Mismatch", problem.GetProperty("title").GetString());
        Assert.Equal("DPoP proof key does not match token binding", problem.GetProperty("detail").GetString());
        Assert.Equal(Register, problem.GetProperty("instance").GetString());
        Assert.Equal(keyA.Jkt, problem.GetProperty("expected_jkt").GetString());
        Assert.Equal(keyB.Jkt, problem.GetProperty("actual_jkt").GetString());
        var members = problem.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["type", "title", "status", "detail", "instance", "timestamp", "request_id", "error", "expected_jkt", "actual_jkt"], members);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        // The agent recovers: a new token for key B.
        string tokenForB = await _factory.GetTokenAsync(client, keyB, "rotating-agent");
        using var recovered = await SendAsync(client, keyB, tokenForB);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task A_bound_token_downgraded_to_bearer_without_proof_is_refused()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;

        using var bearer = SampleApiFactory.Request(HttpMethod.Post, Register, token, proof: null, scheme: "Bearer");
        using var response = await client.SendAsync(bearer);
        var problem = await Problem.AssertAsync(response, "dpop-required", error: "invalid_dpop_proof");
        Assert.Equal("DPoP Proof Required", problem.GetProperty("title").GetString());
        Assert.Contains("Bearer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var noProof = SampleApiFactory.Request(HttpMethod.Post, Register, token, proof: null);
        using var response2 = await client.SendAsync(noProof);
        await Problem.AssertAsync(response2, "dpop-required", error: "invalid_dpop_proof");
    }

    [Fact]
    public async Task A_bound_token_sent_as_bearer_with_its_proof_is_accepted()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        using var response = await SendAsync(client, key, token, scheme: "Bearer");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_unbound_token_is_refused_when_DPoP_is_required()
    {
        using var client = _factory.CreateClient();
        using var key = TestKey.Create();
        string unbound = _factory.Issuer.CreateToken("plain", jkt: null, lifetime: TimeSpan.FromMinutes(5), audience: "arcp-api");

        using var asDPoP = await SendAsync(client, key, unbound);
        var problem = await Problem.AssertAsync(asDPoP, "token-not-dpop-bound", error: "invalid_token");
        Assert.Equal("Token Not DPoP Bound", problem.GetProperty("title").GetString());

        using var bearer = SampleApiFactory.Request(HttpMethod.Post, Register, unbound, proof: null, scheme: "Bearer");
        using var asBearer = await client.SendAsync(bearer);
        await Problem.AssertAsync(asBearer, "token-not-dpop-bound", error: "invalid_token");
    }

    [Fact]
    public async Task A_replayed_proof_is_refused()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        string proof = _factory.Proof(key, "POST", Register, token).Build();

        using var first = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        var problem = await Problem.AssertAsync(second, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_proof_refused_for_another_reason_does_not_use_up_its_jti()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        string proof = _factory.Proof(key, "POST", Register, token).Build();

        // Sent with the Bearer scheme and a foreign Authorization token first: refused before replay is recorded.
        string otherToken = await _factory.GetTokenAsync(client, key);
        using var wrongToken = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, otherToken, proof));
        await Problem.AssertAsync(wrongToken, "dpop-invalid");

        using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Of_64_concurrent_requests_with_one_proof_exactly_one_succeeds()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        string proof = _factory.Proof(key, "POST", Register, token).Build();

        var statuses = await SampleApiFactory.SendConcurrentlyAsync([client], Register, token, proof);
        Assert.Equal(64, statuses.Length);
        SampleApiFactory.AssertExactlyOneAccepted(statuses);
    }

    [Fact]
    public async Task No_credentials_get_the_challenge_with_algs()
    {
        using var client = _factory.CreateClient();
        using var response = await client.PostAsync(Register, null);
        var problem = await Problem.AssertAsync(response, "authentication-failed");
        Assert.Equal("DPoP algs=\"EdDSA Ed25519 ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512\", " +
            "resource_metadata=\"http://localhost/.well-known/oauth-protected-resource\"", Assert.Single(response.Headers.WwwAuthenticate).ToString());
        Assert.False(problem.TryGetProperty("error", out _));
        Assert.Equal("Authentication Failed", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Another_scheme_in_Authorization_is_not_ours_and_gets_the_challenge()
    {
        using var client = _factory.CreateClient();
        using var request = SampleApiFactory.Request(HttpMethod.Post, Register, "dXNlcjpwYXNz", null, scheme: "Basic");
        using var response = await client.SendAsync(request);
        await Problem.AssertAsync(response, "authentication-failed");
    }

    [Theory]
    [InlineData("DPoP")]
    [InlineData("DPoP    ")]
    [InlineData("DPoP a b")]
    [InlineData("DPoP tok\u00e9n")]
    [InlineData("DPoP a,b")]
    public async Task A_malformed_Authorization_header_is_an_authentication_failure(string header)
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Register);
        request.Headers.TryAddWithoutValidation("Authorization", header);
        request.Headers.TryAddWithoutValidation("DPoP", "x.y.z");
        using var response = await client.SendAsync(request);
        Assert.True((int)response.StatusCode is >= 400 and < 500);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            await Problem.AssertAsync(response, "authentication-failed", error: "invalid_request");
        }
    }

    [Fact]
    public async Task Two_Authorization_headers_are_refused()
    {
        using var client = _factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Register);
        request.Headers.TryAddWithoutValidation("Authorization", ["DPoP abc", "DPoP def"]);
        using var response = await client.SendAsync(request);
        await Problem.AssertAsync(response, "authentication-failed");
    }

    [Fact]
    public async Task Two_DPoP_headers_or_a_comma_joined_value_are_refused()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        string proof1 = _factory.Proof(key, "POST", Register, token).Build();
        string proof2 = _factory.Proof(key, "POST", Register, token).Build();

        using var two = SampleApiFactory.Request(HttpMethod.Post, Register, token, null);
        two.Headers.TryAddWithoutValidation("DPoP", [proof1, proof2]);
        using var response = await client.SendAsync(two);
        var problem = await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("exactly one", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var joined = SampleApiFactory.Request(HttpMethod.Post, Register, token, proof1 + "," + proof2);
        using var response2 = await client.SendAsync(joined);
        await Problem.AssertAsync(response2, "dpop-invalid", error: "invalid_dpop_proof");
    }

    [Fact]
    public async Task A_token_with_a_bad_signature_or_audience_or_expiry_is_an_authentication_failure()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;

        string tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        using var r1 = await SendAsync(client, key, tampered);
        var p1 = await Problem.AssertAsync(r1, "authentication-failed", error: "invalid_token");
        Assert.Contains("signature", p1.GetProperty("detail").GetString(), StringComparison.Ordinal);

        string otherAudience = _factory.Issuer.CreateToken("a", key.Jkt, lifetime: TimeSpan.FromMinutes(5), audience: "some-other-api");
        using var r2 = await SendAsync(client, key, otherAudience);
        var p2 = await Problem.AssertAsync(r2, "authentication-failed", error: "invalid_token");
        Assert.Contains("some-other-api", p2.GetProperty("detail").GetString(), StringComparison.Ordinal); // the caller's own aud
        Assert.DoesNotContain("arcp-api", p2.GetProperty("detail").GetString(), StringComparison.Ordinal); // never the accepted ones (issue 11 item 16)

        string expired = _factory.Issuer.CreateToken("a", key.Jkt, lifetime: TimeSpan.FromMinutes(10), audience: "arcp-api", issuedAt: DateTimeOffset.UtcNow.AddHours(-1));
        using var r3 = await SendAsync(client, key, expired);
        var p3 = await Problem.AssertAsync(r3, "authentication-failed", error: "invalid_token");
        Assert.Contains("expired", p3.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var r4 = await SendAsync(client, key, "not-a-jwt");
        await Problem.AssertAsync(r4, "authentication-failed", error: "invalid_token");
    }

    [Fact]
    public async Task A_token_from_another_issuer_key_is_an_authentication_failure()
    {
        using var client = _factory.CreateClient();
        using var key = TestKey.Create();
        using var foreignIssuer = new Arcp.DPoP.Testing.TestTokenIssuer(TimeProvider.System);
        string foreign = foreignIssuer.CreateToken("intruder", "arcp-api", key.Jkt, TimeSpan.FromMinutes(5));
        using var response = await SendAsync(client, key, foreign);
        await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
    }

    [Fact]
    public async Task A_proof_for_another_method_or_uri_is_refused()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;

        using var wrongMethod = SampleApiFactory.Request(HttpMethod.Post, Register, token, _factory.Proof(key, "GET", Register, token).Build());
        using var r1 = await client.SendAsync(wrongMethod);
        var p1 = await Problem.AssertAsync(r1, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("htm 'GET'", p1.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var wrongUri = SampleApiFactory.Request(HttpMethod.Post, Register, token, _factory.Proof(key, "POST", "/agents/other", token).Build());
        using var r2 = await client.SendAsync(wrongUri);
        var p2 = await Problem.AssertAsync(r2, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("http://localhost/agents/register", p2.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_query_string_is_not_part_of_htu()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        using var response = await SendAsync(client, key, token, Register + "?source=test&x=%2F");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_authenticated_agent_without_the_scope_gets_a_403_problem()
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        using var response = await SendAsync(client, key, token, "/agents", HttpMethod.Get);
        var problem = await Problem.AssertAsync(response, "insufficient-permissions", HttpStatusCode.Forbidden);
        Assert.Equal("Insufficient Permissions", problem.GetProperty("title").GetString());
    }

    public static TheoryData<string, string> HostileProofs() => new()
    {
        { "alg none", "none" },
        { "HS256 keyed with the public jwk", "hs256" },
        { "private jwk", "private" },
        { "1024-bit RSA", "rsa1024" },
        { "off-curve point", "offcurve" },
        { "200 KB header", "huge" },
        { "garbage", "garbage" },
        { "JSON with nested depth", "deep" },
        { "non-base64 characters", "nonbase64" },
        { "empty value", "empty" },
    };

    [Theory]
    [MemberData(nameof(HostileProofs))]
    public async Task Hostile_proofs_get_a_4xx_problem_never_a_500(string description, string kind)
    {
        using var agent = await NewAgentAsync();
        var (client, key, token) = agent;
        if (kind == "offcurve")
        {
            // Bound to the off-curve key itself, so the binding (checked before the signature) passes and the key import is what refuses it.
            token = _factory.Issuer.CreateToken("a", JwkThumbprint.Compute(OffCurve(key).ToJsonString()), lifetime: TimeSpan.FromMinutes(5), audience: "arcp-api");
        }

        string proof = HostileProof(kind, key, token);

        using var request = SampleApiFactory.Request(HttpMethod.Post, Register, token, proof);
        using var response = await client.SendAsync(request);
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{description}: {(int)response.StatusCode}");
        await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
    }

    public static TheoryData<string, string> HostileEd25519Proofs() => new()
    {
        { "small-order public key (the identity)", "the Ed25519 public key x is a point of small order" },
        { "public key not reduced modulo p", "is not canonical: its y coordinate is not reduced modulo 2^255 - 19" },
        { "S + L (a malleated signature of the bound key)", "its S is not reduced modulo the group order L" },
        { "63-byte signature", "an Ed25519 signature is 64 bytes (R || S), this one is 63" },
        { "Ed448 key", "crv Ed448 is not supported" },
        { "X25519 key", "crv X25519 is a key-agreement (ECDH) key, which cannot sign" },
    };

    [Theory]
    [MemberData(nameof(HostileEd25519Proofs))]
    public async Task Hostile_Ed25519_proofs_are_dpop_invalid_with_the_reason(string kind, string expectedDetail)
    {
        using var agent = await NewAgentAsync(algorithm: "EdDSA");
        var (client, key, token) = agent;
        var builder = _factory.Proof(key, "POST", Register, token);
        byte[] identity = new byte[32];
        identity[0] = 1;
        byte[] nonCanonical = Enumerable.Repeat((byte)0xFF, 32).ToArray();
        nonCanonical[0] = 0xEE;
        nonCanonical[31] = 0x7F;
        string proof = kind switch
        {
            "small-order public key (the identity)" => builder.With(h => h["jwk"]!["x"] = System.Buffers.Text.Base64Url.EncodeToString(identity)).Build(),
            "public key not reduced modulo p" => builder.With(h => h["jwk"]!["x"] = System.Buffers.Text.Base64Url.EncodeToString(nonCanonical)).Build(),
            "S + L (a malleated signature of the bound key)" => builder.Build(input =>
            {
                byte[] signature = key.Sign(input);
                var l = System.Numerics.BigInteger.Pow(2, 252) + System.Numerics.BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
                (new System.Numerics.BigInteger(signature.AsSpan(32), isUnsigned: true) + l).TryWriteBytes(signature.AsSpan(32), out _, isUnsigned: true);
                return signature;
            }),
            "63-byte signature" => builder.Build(input => key.Sign(input)[..63]),
            "Ed448 key" => builder.With(h => h["jwk"]!["crv"] = "Ed448").Build(),
            _ => builder.With(h => h["jwk"]!["crv"] = "X25519").Build(),
        };

        using var request = SampleApiFactory.Request(HttpMethod.Post, Register, token, proof);
        using var response = await client.SendAsync(request);
        var problem = await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains(expectedDetail, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private string HostileProof(string kind, TestKey key, string token)
    {
        var builder = _factory.Proof(key, "POST", Register, token);
        switch (kind)
        {
            case "none":
                builder.Header["alg"] = "none";
                return builder.Build(_ => []) + "AA";
            case "hs256":
                string jwkJson = key.PublicJwk().ToJsonString();
                builder.Header["alg"] = "HS256";
                return builder.Build(input => System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(jwkJson), input));
            case "private":
                builder.Header["jwk"] = key.PrivateJwk();
                return builder.Build();
            case "rsa1024":
            {
                using var weak = TestKey.Create("RS256", 1024);
                return _factory.Proof(weak, "POST", Register, token).Build();
            }

            case "offcurve":
                builder.Header["jwk"] = OffCurve(key);
                return builder.Build();
            case "huge":
                return new string('A', 200 * 1024);
            case "garbage":
                return "eyJhbGciOiJub25lIn0.%%%.@@@";
            case "deep":
                builder.RawPayload = new string('[', 3000) + new string(']', 3000);
                return builder.Build();
            case "nonbase64":
                return "a b.c d.e f";
            default:
                return " ";
        }
    }

    private static System.Text.Json.Nodes.JsonObject OffCurve(TestKey key)
    {
        var jwk = key.PublicJwk();
        byte[] x = System.Buffers.Text.Base64Url.DecodeFromChars((string)jwk["x"]!);
        x[0] ^= 0x55;
        jwk["x"] = System.Buffers.Text.Base64Url.EncodeToString(x);
        return jwk;
    }
}
