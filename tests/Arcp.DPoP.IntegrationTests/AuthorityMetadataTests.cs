using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Access tokens validated against an issuer's OpenID Connect metadata and JWKS, served by a real ASP.NET Core
/// issuer app over an in-memory transport, including a signing-key rotation the API learns about on an unknown kid.
/// </summary>
public sealed class AuthorityMetadataTests : IAsyncLifetime
{
    private const string IssuerUri = "https://issuer.test";
    private readonly List<(string Kid, ECDsa Key)> _issuerKeys = [];
    private WebApplication? _issuer;
    private WebApplication? _api;
    private HttpClient? _client;
    private HttpMessageHandler? _backchannel;
    private int _jwksRequests;

    public async Task InitializeAsync()
    {
        AddIssuerKey();

        var issuerBuilder = WebApplication.CreateSlimBuilder();
        issuerBuilder.Configuration["AllowedHosts"] = "issuer.test"; // not the sample's hosts (its appsettings.json is copied beside the tests)
        issuerBuilder.WebHost.UseTestServer();
        _issuer = issuerBuilder.Build();
        _issuer.MapGet("/.well-known/openid-configuration", () => Results.Json(new { issuer = IssuerUri, jwks_uri = IssuerUri + "/jwks" }));
        _issuer.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref _jwksRequests);
            lock (_issuerKeys)
            {
                return Results.Json(new
                {
                    keys = _issuerKeys.Select(k =>
                    {
                        var p = k.Key.ExportParameters(false);
                        return new { kty = "EC", crv = "P-256", use = "sig", alg = "ES256", kid = k.Kid, x = Base64Url.EncodeToString(p.Q.X), y = Base64Url.EncodeToString(p.Q.Y) };
                    }).ToArray(),
                });
            }
        });
        await _issuer.StartAsync();
        _backchannel = _issuer.GetTestServer().CreateHandler();
        _api = await StartApiAsync(cacheValidatedTokens: false);
        _client = _api.GetTestClient();
    }

    private async Task<WebApplication> StartApiAsync(bool cacheValidatedTokens, bool useLastKnownGood = true)
    {
        var apiBuilder = WebApplication.CreateSlimBuilder();
        apiBuilder.WebHost.UseTestServer();
        apiBuilder.Services.AddAuthentication().AddDPoP(o =>
        {
            o.Authority = IssuerUri;
            o.Audience = "orders-api";
            o.BackchannelHttpHandler = _backchannel;
            o.RefreshInterval = TimeSpan.FromSeconds(1);
            o.CacheValidatedTokens = cacheValidatedTokens;
            o.UseLastKnownGoodConfiguration = useLastKnownGood;
        });
        apiBuilder.Services.AddAuthorization();
        var api = apiBuilder.Build();
        api.UseAuthentication();
        api.UseAuthorization();
        api.MapPost("/orders", (HttpContext c) => Results.Ok(new { sub = c.User.FindFirst("sub")?.Value }))
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = DPoPDefaults.AuthenticationScheme });
        await api.StartAsync();
        return api;
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_issuer is not null)
        {
            await _issuer.DisposeAsync();
        }

        foreach (var (_, key) in _issuerKeys)
        {
            key.Dispose();
        }
    }

    private string AddIssuerKey()
    {
        string kid = "key-" + (_issuerKeys.Count + 1);
        lock (_issuerKeys)
        {
            _issuerKeys.Add((kid, ECDsa.Create(ECCurve.NamedCurves.nistP256)));
        }

        return kid;
    }

    private string IssueToken(string kid, string jkt, string issuer = IssuerUri)
    {
        var key = _issuerKeys.Single(k => k.Kid == kid).Key;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "orders-api",
            Expires = DateTime.UtcNow.AddMinutes(5),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "agent-7",
                ["cnf"] = new Dictionary<string, object> { ["jkt"] = jkt },
            },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256),
        });
    }

    private Task<HttpResponseMessage> CallAsync(TestKey key, string token) => CallAsync(_client!, key, token);

    private static async Task<HttpResponseMessage> CallAsync(HttpClient client, TestKey key, string token)
    {
        string proof = new ProofBuilder(key, "POST", "http://localhost/orders").ForToken(token).Build();
        using var request = SampleApiFactory.Request(HttpMethod.Post, "/orders", token, proof);
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task Tokens_are_validated_with_the_issuers_published_keys_and_a_rotation_is_picked_up()
    {
        using var agentKey = TestKey.Create();
        using var first = await CallAsync(agentKey, IssueToken("key-1", agentKey.Jkt));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The issuer rotates to a new signing key: the API has never seen its kid and refreshes the JWKS.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        string newKid = AddIssuerKey();
        int before = _jwksRequests;
        string rotatedToken = IssueToken(newKid, agentKey.Jkt);

        // The unknown kid triggers a background refresh; within moments the new key's tokens are accepted.
        var status = HttpStatusCode.Unauthorized;
        for (int attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
        {
            using var rotated = await CallAsync(agentKey, rotatedToken);
            status = rotated.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Problem.AssertAsync(rotated, "authentication-failed", error: "invalid_token");
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(_jwksRequests > before, "the JWKS was fetched again");
    }

    [Fact]
    public async Task The_validated_token_cache_empties_when_the_issuers_keys_change()
    {
        await using var api = await StartApiAsync(cacheValidatedTokens: true);
        using var client = api.GetTestClient();
        using var agentKey = TestKey.Create();
        string token = IssueToken("key-1", agentKey.Jkt);
        using (var first = await CallAsync(client, agentKey, token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // The issuer revokes key-1 and publishes key-2; a token naming key-2 makes the API refresh its metadata.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        lock (_issuerKeys)
        {
            _issuerKeys.RemoveAll(k => k.Kid == "key-1");
        }

        string newKid = AddIssuerKey();
        var status = HttpStatusCode.Unauthorized;
        for (int attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
        {
            using var response = await CallAsync(client, agentKey, IssueToken(newKid, agentKey.Jkt));
            status = response.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);

        // The refresh emptied the cache: only the new token is in it. The old token is validated again from scratch,
        // exactly as without the cache (Microsoft.IdentityModel may still accept it with its last known good keys).
        var options = api.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
        Assert.Equal(1, api.Services.GetRequiredService<DPoPSchemeStates>().Get(DPoPDefaults.AuthenticationScheme, options).TokenCache!.Count);
    }

    [Theory]
    [InlineData(true, HttpStatusCode.OK)]
    [InlineData(false, HttpStatusCode.Unauthorized)]
    public async Task A_key_removed_from_the_JWKS_keeps_validating_only_with_the_last_known_good_configuration(bool useLastKnownGood, HttpStatusCode expected)
    {
        await using var api = await StartApiAsync(cacheValidatedTokens: false, useLastKnownGood);
        using var client = api.GetTestClient();
        using var agentKey = TestKey.Create();
        string oldToken = IssueToken("key-1", agentKey.Jkt);
        using (var first = await CallAsync(client, agentKey, oldToken))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // The issuer publishes key-2 and removes key-1; a key-2 token makes the API fetch the new JWKS.
        await Task.Delay(TimeSpan.FromSeconds(1.1));
        string newKid = AddIssuerKey();
        lock (_issuerKeys)
        {
            _issuerKeys.RemoveAll(k => k.Kid == "key-1");
        }

        var status = HttpStatusCode.Unauthorized;
        for (int attempt = 0; attempt < 50 && status != HttpStatusCode.OK; attempt++)
        {
            using var response = await CallAsync(client, agentKey, IssueToken(newKid, agentKey.Jkt));
            status = response.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);

        // A token signed with the removed key: Microsoft.IdentityModel's last known good configuration still has it.
        using var removed = await CallAsync(client, agentKey, oldToken);
        Assert.Equal(expected, removed.StatusCode);
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused()
    {
        using var agentKey = TestKey.Create();
        using var response = await CallAsync(agentKey, IssueToken("key-1", agentKey.Jkt, issuer: "https://evil.test"));
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        Assert.Contains("https://evil.test", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
