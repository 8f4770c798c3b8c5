using System.Net;
using System.Security.Cryptography;
using System.Text;
using Arcp.DPoP.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Review findings on the ARCP configuration (SigningKeys, ValidateAudience): the sample API in Production, configured
/// from settings alone as docs/arcp.md says, with HS256 tokens minted here.
/// </summary>
public sealed class ReviewArcpConfigurationTests
{
    private const string P = "Authentication:Schemes:DPoP:";
    private static readonly byte[] ArcpSecret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] PartnerSecret = RandomNumberGenerator.GetBytes(32);

    private static SampleApiFactory Sample()
    {
        var factory = new SampleApiFactory();
        factory.Settings[P + "PublicOrigin"] = "http://localhost";
        factory.Settings[P + "Audience"] = "arcp:register";
        return factory;
    }

    private static string Mint(byte[] secret, string? issuer, string? audience, string jkt, Action<Dictionary<string, object>>? claims = null)
    {
        var payload = new Dictionary<string, object>
        {
            ["sub"] = "agent-7",
            ["role"] = "agent",
            ["cnf"] = new Dictionary<string, object> { ["jkt"] = jkt },
        };
        claims?.Invoke(payload);
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            Expires = now.AddMinutes(10),
            TokenType = "JWT",
            Claims = payload,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256),
        });
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, TestKey key, string token)
    {
        string proof = new ProofBuilder(key, "GET", "http://localhost/agents/me").ForToken(token).Build();
        using var request = SampleApiFactory.Request(HttpMethod.Get, "/agents/me", token, proof, "Bearer");
        return await client.SendAsync(request);
    }

    /// <summary>
    /// Two SigningKeys entries with their issuers: each secret should vouch only for its own issuer. Today every secret
    /// verifies every accepted issuer's tokens, so whoever holds the partner's secret can mint tokens that say iss "arcp".
    /// </summary>
    [Fact]
    public async Task A_secret_configured_for_one_issuer_cannot_sign_tokens_of_another()
    {
        await using var factory = Sample();
        factory.Settings[P + "SigningKeys:0:Issuer"] = "arcp";
        factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(ArcpSecret);
        factory.Settings[P + "SigningKeys:1:Issuer"] = "partner";
        factory.Settings[P + "SigningKeys:1:Value"] = Convert.ToBase64String(PartnerSecret);
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        // Each issuer's own token passes (the configuration works)...
        using (var own = await SendAsync(client, key, Mint(PartnerSecret, "partner", "arcp:register", key.Jkt)))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        // ...but the partner's secret must not sign for "arcp".
        using var forged = await SendAsync(client, key, Mint(PartnerSecret, "arcp", "arcp:register", key.Jkt));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    /// <summary>
    /// docs/arcp.md told ARCP deployments to set ValidateAudience = false so the post-registration token (no aud) passes.
    /// That switch also lets through every token that names another audience: ARCP's temp token (aud arcp:validate,
    /// issued before the agent is validated) and tokens for any other API of the same issuer. Accepting "no aud" should
    /// not mean accepting "someone else's aud": AllowTokensWithoutAudience (what docs/arcp.md now recommends) does that.
    /// </summary>
    [Theory]
    [InlineData("arcp:validate")]
    [InlineData("billing-api")]
    public async Task Allowing_aud_less_tokens_still_refuses_a_token_for_another_audience(string audience)
    {
        await using var factory = Sample();
        factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(ArcpSecret);
        factory.Settings[P + "ValidateIssuer"] = "false";
        factory.Settings[P + "AllowTokensWithoutAudience"] = "true";
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        using (var postRegistration = await SendAsync(client, key, Mint(ArcpSecret, issuer: null, audience: null, key.Jkt)))
        {
            Assert.Equal(HttpStatusCode.OK, postRegistration.StatusCode);
        }

        using var other = await SendAsync(client, key, Mint(ArcpSecret, issuer: null, audience, key.Jkt, c => c["temp_registration"] = true));
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    }

    /// <summary>Held attack, kept as a regression: with ValidateIssuer on, a token without iss is refused.</summary>
    [Fact]
    public async Task With_ValidateIssuer_on_a_token_without_iss_is_refused()
    {
        await using var factory = Sample();
        factory.Settings[P + "SigningKeys:0:Issuer"] = "arcp";
        factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(ArcpSecret);
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        using var response = await SendAsync(client, key, Mint(ArcpSecret, issuer: null, "arcp:register", key.Jkt));
        await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
    }

    /// <summary>Held attack, kept as a regression: an HS256 proof signed with the configured shared secret is refused.</summary>
    [Fact]
    public async Task A_proof_signed_with_the_shared_secret_is_refused()
    {
        await using var factory = Sample();
        factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(ArcpSecret);
        factory.Settings[P + "ValidateIssuer"] = "false";
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = Mint(ArcpSecret, issuer: null, "arcp:register", key.Jkt);
        var builder = new ProofBuilder(key, "GET", "http://localhost/agents/me").ForToken(token);
        builder.Header["alg"] = "HS256";
        string proof = builder.Build(data => HMACSHA256.HashData(ArcpSecret, data));
        using var request = SampleApiFactory.Request(HttpMethod.Get, "/agents/me", token, proof, "Bearer");
        using var response = await client.SendAsync(request);
        await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
    }
}

/// <summary>
/// Review finding (configuration): RFC 7518 §3.2 requires an HS256 key of at least 256 bits. SigningKeys takes a 16-byte
/// secret without a word; the app starts, and then every token fails at runtime (Microsoft.IdentityModel refuses the key,
/// IDX10720) with a detail that does not say the API's own secret is the problem. Fail closed, but silent: the app should
/// refuse to start, naming the SigningKeys entry.
/// </summary>
public sealed class ReviewArcpShortSecretTests
{
    private const string P = "Authentication:Schemes:DPoP:";

    [Fact]
    public void A_shared_secret_shorter_than_256_bits_stops_the_app_at_startup()
    {
        var error = SampleApiFactory.StartupFailure(() =>
        {
            var factory = new SampleApiFactory();
            factory.Settings[P + "PublicOrigin"] = "http://localhost";
            factory.Settings[P + "Audience"] = "arcp:register";
            factory.Settings[P + "ValidateIssuer"] = "false";
            factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("arcp-dev-secret!")); // 16 bytes
            return factory;
        });
        Assert.Contains("SigningKeys", error.ToString(), StringComparison.Ordinal);
    }
}
