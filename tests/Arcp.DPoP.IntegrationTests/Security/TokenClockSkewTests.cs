using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Token clock skew is not proof clock skew: an access token gets five minutes on exp/nbf by default (as JwtBearer),
/// and TokenClockSkew, bound from configuration, changes it without touching the proof's much tighter ClockSkew.
/// </summary>
public sealed class TokenClockSkewTests
{
    [Theory]
    [InlineData(null, HttpStatusCode.OK)]
    [InlineData("0", HttpStatusCode.Unauthorized)]
    public async Task A_token_expired_two_minutes_ago_is_judged_with_the_token_clock_skew(string? tokenClockSkew, HttpStatusCode expected)
    {
        var setup = new SecurityApi.Setup();
        if (tokenClockSkew is not null)
        {
            setup.Settings["Authentication:Schemes:DPoP:TokenClockSkew"] = tokenClockSkew;
        }

        await using var api = await SecurityApi.StartAsync(setup);
        using var key = TestKey.Create();
        var now = DateTime.UtcNow;
        string token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = SecurityApi.Issuer,
            Audience = SecurityApi.Audience,
            IssuedAt = now.AddMinutes(-12),
            NotBefore = now.AddMinutes(-12),
            Expires = now.AddMinutes(-2),
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object> { ["sub"] = "a", ["cnf"] = new Dictionary<string, object> { ["jkt"] = key.Jkt } },
            SigningCredentials = new SigningCredentials(api.SigningKey, SecurityAlgorithms.EcdsaSha256),
        });

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        Assert.Equal(expected, response.StatusCode);
    }
}
