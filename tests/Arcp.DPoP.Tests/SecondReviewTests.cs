using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>Regression tests from the second adversarial pass over the first review's fixes.</summary>
public sealed class SecondReviewTests
{
    private const string Jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    // cnf holds confirmation methods only: any member besides one jkt is a binding this API cannot check (an allow-list,
    // not a deny-list that misses jwe, osc, other spellings and methods registered tomorrow).
    [Theory]
    [InlineData("\"jwe\":\"eyJ.a.b.c.d\"")]
    [InlineData("\"osc\":{\"id\":\"AQ\"}")]
    [InlineData("\"X5T#S256\":\"abc\"")]
    [InlineData("\"x5t#S256 \":\"abc\"")]
    [InlineData("\"some_future_method\":\"abc\"")]
    [InlineData("\"jkt\":\"" + Jkt + "\"")]
    public void A_cnf_with_jkt_and_any_other_member_is_refused(string other)
    {
        var jwt = new JsonWebToken(new JsonWebTokenHandler().CreateToken($"{{\"cnf\":{{\"jkt\":\"{Jkt}\",{other}}}}}"));

        var read = TokenConfirmation.ReadThumbprint(jwt);
        Assert.Null(read.Value);
        Assert.Equal(DPoPFailureCode.TokenInvalid, read.Failure?.Code);
    }

    [Fact]
    public void A_cnf_with_jkt_alone_is_read()
    {
        var jwt = new JsonWebToken(new JsonWebTokenHandler().CreateToken($"{{\"cnf\":{{\"jkt\":\"{Jkt}\"}}}}"));

        var read = TokenConfirmation.ReadThumbprint(jwt);
        Assert.Equal(Jkt, read.Value);
        Assert.Null(read.Failure);
    }

    // Microsoft.IdentityModel calls IssuerSigningKeyValidatorUsingConfiguration instead of IssuerSigningKeyValidator when
    // the application set it: the tie between a SigningKeys secret and its issuer must hold there too.
    [Fact]
    public async Task A_secret_of_issuer_a_cannot_vouch_for_issuer_b_even_with_an_application_key_validator_using_configuration()
    {
        var keyA = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('A', 40)));
        var keyB = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('B', 40)));
        var options = new DPoPOptions();
        options.TokenValidationParameters.ValidIssuers = ["https://a", "https://b"];
        options.TokenValidationParameters.ValidAudience = "api";
        options.TokenValidationParameters.IssuerSigningKeys = [keyA, keyB];
        options.TokenValidationParameters.IssuerSigningKeyValidatorUsingConfiguration = (_, _, _, _) => true;
        options.ConfiguredSigningKeys.Add(new(keyA, "https://a"));
        options.ConfiguredSigningKeys.Add(new(keyB, "https://b"));
        var parameters = new DPoPSchemeState("DPoP", options, null).TokenValidationParameters();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var handler = new JsonWebTokenHandler();

        string forged = handler.CreateToken($"{{\"iss\":\"https://b\",\"aud\":\"api\",\"exp\":{now + 600},\"iat\":{now}}}",
            new SigningCredentials(keyA, SecurityAlgorithms.HmacSha256));
        string genuine = handler.CreateToken($"{{\"iss\":\"https://a\",\"aud\":\"api\",\"exp\":{now + 600},\"iat\":{now}}}",
            new SigningCredentials(keyA, SecurityAlgorithms.HmacSha256));

        Assert.False((await handler.ValidateTokenAsync(forged, parameters)).IsValid);
        Assert.True((await handler.ValidateTokenAsync(genuine, parameters)).IsValid);
    }

    // AllowTokensWithoutAudience accepts a token with no aud; an aud with members none of which is an audience string is
    // malformed, not absent.
    [Theory]
    [InlineData("\"aud\":[null],", false)]
    [InlineData("", true)]
    [InlineData("\"aud\":\"api\",", true)]
    [InlineData("\"aud\":\"other\",", false)]
    public async Task AllowTokensWithoutAudience_accepts_no_aud_but_not_a_malformed_one(string aud, bool valid)
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(new string('K', 40)));
        var options = new DPoPOptions { AllowTokensWithoutAudience = true };
        options.TokenValidationParameters.ValidIssuer = "https://a";
        options.TokenValidationParameters.ValidAudience = "api";
        options.TokenValidationParameters.IssuerSigningKey = key;
        var parameters = new DPoPSchemeState("DPoP", options, null).TokenValidationParameters();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var handler = new JsonWebTokenHandler();
        string token = handler.CreateToken($"{{\"iss\":\"https://a\",{aud}\"exp\":{now + 600},\"iat\":{now}}}",
            new SigningCredentials(key, SecurityAlgorithms.HmacSha256));

        Assert.Equal(valid, (await handler.ValidateTokenAsync(token, parameters)).IsValid);
    }
}
