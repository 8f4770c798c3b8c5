using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// Review (issue 14): the access token read from its slice of the Authorization header must be judged exactly as the
/// handler's string overload judges it, with every option that changes how a token is read or what the result keeps:
/// an encrypted token (JWE around a JWS), SaveSigninToken, signature and transform delegates, MapInboundClaims, the
/// validated-token cache. The reference is a subclass of the handler, which the scheme gives the token as a string.
/// </summary>
public sealed class TokenFromHeaderReviewTests : AccessTokenTestBase
{
    private readonly RSA _decryption = RSA.Create(2048);

    public static TheoryData<string> Variants => new() { "plain", "jwe", "save-signin-token", "signature-validator", "transform", "include-token-on-failure", "map-inbound-claims" };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Every_option_gives_the_same_result_from_the_header_as_from_a_string(string variant)
    {
        string token = variant == "jwe" ? Encrypted(Token()) : Token();
        foreach (string candidate in new[] { token, token[..^2], token + ".", token + " ", " " + token, token.Replace('.', ',') })
        {
            var fromHeader = await ValidateAsync(Configure(Options(new JsonWebTokenHandler()), variant), "DPoP " + candidate);
            var fromString = await ValidateAsync(Configure(Options(new StringOnlyHandler()), variant), "DPoP " + candidate);

            if (candidate == token)
            {
                Assert.Null(fromString.Failure); // the token itself is valid with every option
            }

            Assert.Equal(fromString.Failure?.Code, fromHeader.Failure?.Code);
            Assert.Equal(fromString.Failure?.Detail, fromHeader.Failure?.Detail);
            if (fromString.Value is { } expected)
            {
                var actual = fromHeader.Value!;
                Assert.Equal(expected.Identity.Claims.Select(c => (c.Type, c.Value, c.Issuer)), actual.Identity.Claims.Select(c => (c.Type, c.Value, c.Issuer)));
                Assert.Equal(expected.Identity.BootstrapContext, actual.Identity.BootstrapContext);

                Assert.Equal(expected.Jkt, actual.Jkt);
                Assert.Equal(candidate, ((JsonWebToken)actual.SecurityToken).EncodedToken);
            }
        }
    }

    [Fact]
    public async Task A_token_cached_from_the_header_is_found_by_its_own_text_and_by_no_other()
    {
        var options = Options(new JsonWebTokenHandler());
        options.CacheValidatedTokens = true;
        var state = new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null);
        string token = Token(), other = Token("b");

        var first = await ValidateAsync(options, state, ("DPoP " + token).AsMemory(5));
        var again = await ValidateAsync(options, state, ("DPoP " + token).AsMemory(5));
        var otherToken = await ValidateAsync(options, state, ("DPoP " + other).AsMemory(5));

        Assert.False(first.Value!.FromCache);
        Assert.True(again.Value!.FromCache);
        Assert.False(otherToken.Value!.FromCache);
        Assert.Equal("b", otherToken.Value.Identity.FindFirst("sub")?.Value);
        Assert.Equal(2, state.TokenCache!.Count);
    }

    private DPoPOptions Configure(DPoPOptions options, string variant)
    {
        var parameters = options.TokenValidationParameters;
        switch (variant)
        {
            case "jwe":
                parameters.TokenDecryptionKey = new RsaSecurityKey(_decryption);
                break;
            case "save-signin-token":
                parameters.SaveSigninToken = true;
                break;
            case "signature-validator":
                parameters.SignatureValidator = (text, _) => new JsonWebToken(text);
                break;
            case "transform":
                parameters.TransformBeforeSignatureValidation = (token, _) => token;
                break;
            case "include-token-on-failure":
                parameters.IncludeTokenOnFailedValidation = true;
                break;
            case "map-inbound-claims":
                ((JsonWebTokenHandler)options.TokenHandler).MapInboundClaims = true;
                break;
        }

        return options;
    }

    private string Token(string subject = "a")
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Sign($"{{\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"exp\":{now + 600},\"iat\":{now},\"sub\":\"{subject}\",\"cnf\":{{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}}}}");
    }

    // The signed token as the payload of a JWE for the API's key (RSA-OAEP, A256CBC-HS512), as a nested token.
    private string Encrypted(string signed)
    {
        var inner = new JsonWebToken(signed);
        return new JsonWebTokenHandler().EncryptToken(signed, new EncryptingCredentials(new RsaSecurityKey(_decryption.ExportParameters(false)), SecurityAlgorithms.RsaOAEP, SecurityAlgorithms.Aes256CbcHmacSha512))
            ?? throw new InvalidOperationException(inner.Kid);
    }

    private static ValueTask<DPoPResult<ValidatedToken>> ValidateAsync(DPoPOptions options, string authorization) =>
        ValidateAsync(options, new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null), authorization.AsMemory(5));

    private sealed class StringOnlyHandler : JsonWebTokenHandler;
}
