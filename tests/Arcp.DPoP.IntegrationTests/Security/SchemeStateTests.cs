using System.Net;
using System.Text.Json;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 items 10 and 15: two DPoP schemes on one endpoint both accept the request's proof (recorded once, and a
/// replay in another request is still refused by both); the handler never changes the
/// <see cref="TokenValidationParameters"/> the application passed, even when two schemes share one instance.
/// </summary>
public sealed class SchemeStateTests
{
    private static SecurityApi.Setup TwoSchemes(TokenValidationParameters? shared = null) => new()
    {
        Schemes = "DPoP,DPoP2",
        Configure = o => Share(o, shared),
        Authentication = (auth, api) => auth.AddDPoP("DPoP2", o =>
        {
            api.ConfigureDefaults(o);
            Share(o, shared);
        }),
    };

    // The application hands one instance, with its issuer key, to every scheme.
    private static void Share(DPoPOptions o, TokenValidationParameters? shared)
    {
        if (shared is not null)
        {
            shared.IssuerSigningKey = o.TokenValidationParameters.IssuerSigningKey;
            o.TokenValidationParameters = shared;
        }
    }

    [Fact]
    public async Task Two_DPoP_schemes_on_one_endpoint_both_accept_the_request_and_a_replay_is_still_refused()
    {
        await using var api = await SecurityApi.StartAsync(TwoSchemes());
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string proof = SecurityApi.Proof(key, "/orders", token);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(2, JsonDocument.Parse(body).RootElement.GetProperty("identities").GetInt32());

        using var replay = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Fact]
    public async Task The_applications_TokenValidationParameters_are_never_changed()
    {
        var shared = new TokenValidationParameters { ValidIssuer = SecurityApi.Issuer, ValidTypes = ["at+jwt"] };
        await using var api = await SecurityApi.StartAsync(TwoSchemes(shared));
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);

        Assert.Null(shared.ValidAudience);
        Assert.Null(shared.ValidAudiences);
        Assert.Null(shared.AuthenticationType);
        Assert.Null(shared.LifetimeValidator);
        Assert.Null(shared.ConfigurationManager);
        Assert.False(shared.RefreshBeforeValidation);
        Assert.Equal(TimeSpan.FromMinutes(5), shared.ClockSkew);
    }
}
