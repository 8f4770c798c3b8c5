using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.Tests;

/// <summary>
/// The scheme's token validation parameters are not copied for every valid token (issue 14) only while no application
/// code can see them: an application callback that copies the parameters and changes its copy must never change what
/// the next request is validated with.
/// </summary>
public sealed class SharedTokenValidationParametersTests : AccessTokenTestBase
{
    [Fact]
    public async Task An_application_callback_that_changes_its_copy_of_the_parameters_changes_no_other_request()
    {
        var options = Options();
        // A common pattern: copy the parameters handed to a callback, change the copy, validate with it.
        options.TokenValidationParameters.IssuerValidator = (issuer, token, parameters) =>
        {
            var copy = parameters.Clone();
            copy.IssuerValidator = null;
            copy.ValidateLifetime = false;
            copy.ValidIssuer = issuer;
            return Validators.ValidateIssuer(issuer, token, copy);
        };
        var state = new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null);

        var first = await ValidateAsync(options, state, Token(TimeSpan.FromMinutes(10)));
        Assert.Null(first.Failure);

        var expired = await ValidateAsync(options, state, Token(TimeSpan.FromMinutes(-10)));
        Assert.Equal(DPoPFailureCode.TokenExpired, expired.Failure?.Code);
        Assert.Contains("expired", expired.Failure!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_are_shared_only_when_every_callback_is_the_library_s_own()
    {
        var handler = new JsonWebTokenHandler();
        var plain = new TokenValidationParameters { LifetimeValidator = TokenLifetime.Validator(new DPoPOptions()) };
        Assert.True(SharedTokenValidationParameters.IsSafe(plain, handler));
        var shared = SharedTokenValidationParameters.CopyOf(plain, handler);
        Assert.Same(shared, shared.Clone());

        Assert.False(SharedTokenValidationParameters.IsSafe(new TokenValidationParameters { AudienceValidator = (_, _, _) => true }, handler));
        Assert.False(SharedTokenValidationParameters.IsSafe(new TokenValidationParameters { IssuerSigningKeyResolver = (_, _, _, _) => [] }, handler));
        Assert.False(SharedTokenValidationParameters.IsSafe(new TokenValidationParameters(), new SubclassedHandler()));
        Assert.False(SharedTokenValidationParameters.IsSafe(new SubclassedParameters(), handler));

        // Not shared: the ordinary copy, whose Clone is a new instance.
        var applications = SharedTokenValidationParameters.CopyOf(new TokenValidationParameters { TypeValidator = (t, _, _) => t }, handler);
        Assert.NotSame(applications, applications.Clone());
    }

    [Fact]
    public void With_a_configuration_manager_every_validation_gets_its_own_parameters()
    {
        var options = Options();
        options.ConfigurationManager = new Microsoft.IdentityModel.Protocols.StaticConfigurationManager<Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration>(new());
        var state = new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null);

        var one = state.TokenValidationParameters();
        var two = state.TokenValidationParameters();
        Assert.NotSame(one, two);
        one.RefreshBeforeValidation = true; // as Microsoft.IdentityModel does after a recoverable failure
        Assert.False(two.RefreshBeforeValidation);
        Assert.False(state.TokenValidationParameters().RefreshBeforeValidation);
    }

    [Fact]
    public async Task Validations_of_every_outcome_leave_the_shared_parameters_as_they_were()
    {
        // Review: Microsoft.IdentityModel must never write to the instance it is handed (no copy guards it any more).
        var options = Options();
        options.AllowTokensWithoutAudience = true;
        var state = new DPoPSchemeState(DPoPDefaults.AuthenticationScheme, options, null);
        var shared = state.TokenValidationParameters();
        Assert.IsType<SharedTokenValidationParameters>(shared);
        var before = Snapshot(shared);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string[] payloads =
        [
            $"\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"sub\":\"a\",\"exp\":{now + 600}",
            $"\"iss\":\"{Issuer}\",\"sub\":\"a\",\"exp\":{now + 600}",
            $"\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"sub\":\"a\",\"exp\":{now - 600}",
            $"\"iss\":\"{Issuer}\",\"aud\":\"other\",\"sub\":\"a\",\"exp\":{now + 600}",
            $"\"iss\":\"https://evil.example\",\"aud\":\"arcp-api\",\"sub\":\"a\",\"exp\":{now + 600}",
            $"\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"sub\":\"a\",\"nbf\":{now + 600},\"exp\":{now + 900}",
            $"\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"sub\":\"a\",\"exp\":{now + 600},\"actort\":\"x\"",
        ];
        foreach (string payload in payloads)
        {
            foreach (string token in new[] { Sign("{" + payload + "}"), new JsonWebTokenHandler().CreateToken("{" + payload + "}",
                new SigningCredentials(new ECDsaSecurityKey(other), SecurityAlgorithms.EcdsaSha256)) })
            {
                _ = await ValidateAsync(options, state, token);
                Assert.Equal(before, Snapshot(shared));
            }
        }

        Assert.Equal(DPoPFailureCode.TokenExpired, (await ValidateAsync(options, state, Token(TimeSpan.FromMinutes(-10)))).Failure?.Code);
        Assert.Null((await ValidateAsync(options, state, Token(TimeSpan.FromMinutes(10)))).Failure);
    }

    // Every public property: values by value, references by identity.
    private static string Snapshot(TokenValidationParameters parameters) => string.Join("\n",
        typeof(TokenValidationParameters).GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + (p.GetValue(parameters) is { } v
                ? (v.GetType().IsValueType || v is string ? v.ToString() : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(v).ToString(System.Globalization.CultureInfo.InvariantCulture))
                : "null")));

    private sealed class SubclassedHandler : JsonWebTokenHandler;

    private sealed class SubclassedParameters : TokenValidationParameters;

    private static ValueTask<DPoPResult<ValidatedToken>> ValidateAsync(DPoPOptions options, DPoPSchemeState state, string token) =>
        ValidateAsync(options, state, token.AsMemory());

    private DPoPOptions Options()
    {
        var options = Options(handler: null);
        options.TokenValidationParameters.ClockSkew = TimeSpan.Zero;
        return options;
    }

    private string Token(TimeSpan expiresIn)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long exp = now + (long)expiresIn.TotalSeconds;
        return Sign($"{{\"iss\":\"{Issuer}\",\"aud\":\"arcp-api\",\"sub\":\"a\",\"exp\":{exp},\"iat\":{Math.Min(now, exp - 60)}}}");
    }
}
