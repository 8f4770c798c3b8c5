using Microsoft.IdentityModel.JsonWebTokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// The plain <see cref="JsonWebTokenHandler"/> validates the access token read from its slice of the Authorization
/// header (issue 14), not from a string of it. That must judge every token exactly as the handler's string overload
/// does: the same failure and detail for every malformed token, the size limit, a configured TokenReader, a subclass.
/// The reference is a subclass of the handler, which always takes the string overload.
/// </summary>
public sealed class TokenFromHeaderTests : AccessTokenTestBase
{
    public static TheoryData<string> Tokens => new()
    {
        "a",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "a.b.c.d.e",
        "a.b.c.d.e.f",
        "..",
        "eyJ.eyJ.x",
        "!!!.eyJhbGciOiJFUzI1NiJ9.x",
        "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0", // two parts
        "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln", // payload not JSON
        "bm90IGpzb24.eyJzdWIiOiJhIn0.c2ln", // header not JSON
        "W10.eyJzdWIiOiJhIn0.c2ln", // header an array
        "eyJhbGciOiJFUzI1NiJ9.W10.c2ln", // payload an array
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", // alg none, no signature
        "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", // a signature that is not one
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", // a JWE nobody can decrypt
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task A_token_that_is_not_valid_fails_as_the_string_overload_fails_it(string token)
    {
        var fromHeader = await ValidateAsync(Options(new JsonWebTokenHandler()), "DPoP " + token);
        var fromString = await ValidateAsync(Options(new StringOnlyHandler()), "DPoP " + token);

        Assert.NotNull(fromString.Failure);
        Assert.Equal(fromString.Failure.Code, fromHeader.Failure?.Code);
        Assert.Equal(fromString.Failure.Detail, fromHeader.Failure?.Detail);
    }

    [Fact]
    public async Task A_valid_token_read_from_the_header_is_valid_with_the_same_claims()
    {
        string token = Token();

        var fromHeader = await ValidateAsync(Options(new JsonWebTokenHandler()), "DPoP " + token);
        var fromString = await ValidateAsync(Options(new StringOnlyHandler()), "DPoP " + token);

        Assert.Null(fromHeader.Failure);
        Assert.Equal(fromString.Value!.Identity.Claims.Select(c => (c.Type, c.Value)), fromHeader.Value!.Identity.Claims.Select(c => (c.Type, c.Value)));
        Assert.Equal(token, ((JsonWebToken)fromHeader.Value.SecurityToken).EncodedToken);
    }

    [Fact]
    public async Task A_token_over_the_handler_s_size_limit_is_refused_as_the_string_overload_refuses_it()
    {
        string token = Token();
        var handler = new JsonWebTokenHandler { MaximumTokenSizeInBytes = token.Length - 1 };

        var fromHeader = await ValidateAsync(Options(handler), "DPoP " + token);
        var fromString = await ValidateAsync(Options(new StringOnlyHandler { MaximumTokenSizeInBytes = token.Length - 1 }), "DPoP " + token);

        Assert.Equal(DPoPFailures.TokenMalformed.Detail, fromString.Failure?.Detail);
        Assert.Equal(fromString.Failure!.Code, fromHeader.Failure?.Code);
        Assert.Equal(fromString.Failure.Detail, fromHeader.Failure?.Detail);
    }

    [Fact]
    public async Task A_configured_TokenReader_reads_the_token()
    {
        string token = Token();
        var options = Options(new JsonWebTokenHandler());
        int reads = 0;
        options.TokenValidationParameters.TokenReader = (text, _) =>
        {
            reads++;
            return new JsonWebToken(text);
        };

        var result = await ValidateAsync(options, "DPoP " + token);

        Assert.Null(result.Failure);
        Assert.Equal(1, reads);
    }

    private string Token()
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Sign($"{{\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"exp\":{now + 600},\"iat\":{now},\"sub\":\"a\",\"cnf\":{{\"jkt\":\"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I\"}}}}");
    }

    // As the handler calls it: the token is a slice of the Authorization header's string.
    private static ValueTask<DPoPResult<ValidatedToken>> ValidateAsync(DPoPOptions options, string authorization) =>
        ValidateAsync(options, new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null), authorization.AsMemory(5));

    // A subclass: the scheme gives it the token as a string, as it gives any handler other than JsonWebTokenHandler.
    private sealed class StringOnlyHandler : JsonWebTokenHandler;
}
