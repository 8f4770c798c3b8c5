using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// The access token's claims identity is built by the library (issue 14: each claim made once, no property dictionary
/// per claim), and must be exactly the one Microsoft.IdentityModel builds for the same token and parameters: types,
/// values, value types, issuers, subject, name and role claim types, for every JSON shape a claim can have.
/// </summary>
public sealed class TokenClaimsIdentityTests : AccessTokenTestBase
{
    private const string Jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    public static TheoryData<string> Payloads => new()
    {
        // ARCP's token: scope as a string, scopes as an array, cnf an object, aud an array.
        $"\"sub\":\"agent-7\",\"aud\":[\"arcp-api\",\"other\"],\"scope\":\"agents:register agents:read\",\"scopes\":[\"agents:register\",\"agents:read\"],\"cnf\":{{\"jkt\":\"{Jkt}\"}},\"client_id\":\"c1\",\"jti\":\"j-1\"",
        // Strings, numbers of every width, booleans, null.
        "\"sub\":\"a\",\"aud\":\"arcp-api\",\"s\":\"x\",\"empty\":\"\",\"i\":7,\"neg\":-3,\"l\":5000000000,\"d\":1.5,\"e\":1e3,\"u\":18446744073709551615,\"t\":true,\"f\":false,\"n\":null",
        // A string that reads as a date, under a name Microsoft.IdentityModel does not know, and under a known one.
        "\"sub\":\"2024-01-01T00:00:00.0000000Z\",\"aud\":\"arcp-api\",\"when\":\"2024-01-01T00:00:00.0000000Z\",\"when2\":\"2024-01-01\"",
        // Objects and arrays, nested and mixed; escapes and non-ASCII text.
        "\"sub\":\"a\",\"aud\":\"arcp-api\",\"o\":{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\"},\"eo\":{},\"mixed\":[\"s\",1,5000000000,2.5,true,false,null,{\"o\":1},[1,[2]]],\"ea\":[],\"q\":\"a\\\"b\\u2028\\u00e9\"",
        // A name claim (User.Identity.Name is the name, not the sub), a role claim, a repeated claim type in an array.
        "\"sub\":\"a\",\"aud\":\"arcp-api\",\"name\":\"Agent Seven\",\"role\":[\"admin\",\"reader\"],\"roles\":\"x\"",
        // The token's own jkt claims are removed (the principal's jkt is the one the request proved).
        "\"sub\":\"a\",\"aud\":\"arcp-api\",\"jkt\":\"not-proved\",\"JKT\":\"other\"",
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public async Task The_identity_is_the_one_Microsoft_IdentityModel_builds(string members)
    {
        var options = Options();
        string token = Token(members);

        await AssertSameIdentityAsync(options, token);
    }

    [Fact]
    public async Task The_claims_carry_the_issuer_the_issuer_validator_returned()
    {
        var options = Options();
        options.TokenValidationParameters.IssuerValidator = (_, _, _) => "https://validated.example";

        var identity = await AssertSameIdentityAsync(options, Token("\"sub\":\"a\",\"aud\":\"arcp-api\""));
        Assert.All(identity.Claims, c => Assert.Equal("https://validated.example", c.Issuer));
    }

    [Fact]
    public async Task A_token_without_iss_gets_the_identity_Microsoft_IdentityModel_gives_it()
    {
        var options = Options();
        options.TokenValidationParameters.ValidateIssuer = false;

        await AssertSameIdentityAsync(options, Token("\"sub\":\"a\",\"aud\":\"arcp-api\"", issuer: null));
    }

    [Fact]
    public async Task A_nested_actor_token_is_read_as_Microsoft_IdentityModel_reads_it()
    {
        var options = Options();
        string actor = Token("\"sub\":\"the-actor\",\"aud\":\"arcp-api\"");

        var identity = await AssertSameIdentityAsync(options, Token($"\"sub\":\"a\",\"aud\":\"arcp-api\",\"{ClaimTypes.Actor}\":\"{actor}\""));
        Assert.NotNull(identity.Actor);
    }

    [Fact]
    public async Task Mapped_inbound_claims_are_Microsoft_IdentityModel_s()
    {
        var options = Options();
        options.MapInboundClaims = true;
        ((JsonWebTokenHandler)options.TokenHandler).MapInboundClaims = true;

        var identity = await AssertSameIdentityAsync(options, Token("\"sub\":\"a\",\"aud\":\"arcp-api\",\"role\":\"admin\""));
        Assert.Contains(identity.Claims, c => c.Type == ClaimTypes.NameIdentifier);
    }

    private string Token(string members, string? issuer = Issuer)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string iss = issuer is null ? "" : $"\"iss\":\"{issuer}\",";
        return Sign($"{{{iss}\"exp\":{now + 600},\"iat\":{now},\"nbf\":{now},{members}}}");
    }

    // The scheme's identity (AccessTokenValidator, as the handler calls it) against Microsoft.IdentityModel's for the
    // same token and the same parameters, less the token's own jkt claims.
    private static async Task<ClaimsIdentity> AssertSameIdentityAsync(DPoPOptions options, string token)
    {
        var state = new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null);
        var validated = await ValidateAsync(options, state, token.AsMemory());
        Assert.Null(validated.Failure);
        var actual = validated.Value!.Identity;

        var result = await options.TokenHandler.ValidateTokenAsync(token, state.TokenValidationParameters());
        Assert.True(result.IsValid);
        var expected = result.ClaimsIdentity;
        DPoPBinding.RemoveJktClaims(expected);

        AssertSame(expected, actual);
        return actual;
    }

    private static void AssertSame(ClaimsIdentity expected, ClaimsIdentity actual)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.Equal(expected.AuthenticationType, actual.AuthenticationType);
        Assert.Equal(expected.IsAuthenticated, actual.IsAuthenticated);
        Assert.Equal(expected.NameClaimType, actual.NameClaimType);
        Assert.Equal(expected.RoleClaimType, actual.RoleClaimType);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal((expected as CaseSensitiveClaimsIdentity)?.SecurityToken?.GetType(), (actual as CaseSensitiveClaimsIdentity)?.SecurityToken?.GetType());
        var expectedClaims = expected.Claims.ToList();
        var actualClaims = actual.Claims.ToList();
        Assert.Equal(expectedClaims.Count, actualClaims.Count);
        for (int i = 0; i < expectedClaims.Count; i++)
        {
            var (e, a) = (expectedClaims[i], actualClaims[i]);
            Assert.Equal((e.Type, e.Value, e.ValueType, e.Issuer, e.OriginalIssuer), (a.Type, a.Value, a.ValueType, a.Issuer, a.OriginalIssuer));
            Assert.Same(actual, a.Subject);
            Assert.Equal(e.Properties, a.Properties);
        }

        Assert.Equal(expected.Actor is null, actual.Actor is null);
        if (expected.Actor is not null)
        {
            AssertSame(expected.Actor, actual.Actor!);
        }
    }
}
