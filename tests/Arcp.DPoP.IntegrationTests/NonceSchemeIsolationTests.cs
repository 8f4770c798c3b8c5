using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Two DPoP schemes in one application (one Data Protection key ring): a nonce one scheme handed out is not a nonce
/// of the other (issue 11, item 11).
/// </summary>
public sealed class NonceSchemeIsolationTests
{
    private const string Audience = "arcp-api";

    [Fact]
    public async Task A_nonce_issued_by_scheme_A_is_refused_by_scheme_B()
    {
        using var issuer = new TestTokenIssuer(TimeProvider.System);
        await using var app = await StartAsync(issuer);
        using var client = app.GetTestClient();
        using var key = TestKey.Create();
        string token = issuer.CreateToken("agent-1", Audience, key.Jkt, TimeSpan.FromMinutes(5));

        // Scheme A hands out its nonce on the first 401.
        using var firstA = await SendAsync(client, "/a", key, token, nonce: null);
        await Problem.AssertAsync(firstA, "dpop-invalid", error: "use_dpop_nonce");
        string nonceA = Assert.Single(firstA.Headers.GetValues("DPoP-Nonce"));

        // It works for A...
        using var okA = await SendAsync(client, "/a", key, token, nonceA);
        Assert.Equal(HttpStatusCode.OK, okA.StatusCode);

        // ...and not for B, which answers with a nonce of its own.
        using var refusedB = await SendAsync(client, "/b", key, token, nonceA);
        var problem = await Problem.AssertAsync(refusedB, "dpop-invalid", error: "use_dpop_nonce");
        Assert.Contains("not issued by this API", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        string nonceB = Assert.Single(refusedB.Headers.GetValues("DPoP-Nonce"));
        Assert.NotEqual(nonceA, nonceB);

        using var okB = await SendAsync(client, "/b", key, token, nonceB);
        Assert.Equal(HttpStatusCode.OK, okB.StatusCode);

        // And B's nonce does not open A.
        using var refusedA = await SendAsync(client, "/a", key, token, nonceB);
        await Problem.AssertAsync(refusedA, "dpop-invalid", error: "use_dpop_nonce");
    }

    private static async Task<WebApplication> StartAsync(TestTokenIssuer issuer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication()
            .AddDPoP("A", o => Configure(o, issuer))
            .AddDPoP("B", o => Configure(o, issuer));
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/a", () => "a").RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = "A" });
        app.MapGet("/b", () => "b").RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = "B" });
        await app.StartAsync();
        return app;
    }

    private static void Configure(DPoPOptions options, TestTokenIssuer issuer)
    {
        options.Audience = Audience;
        options.RequireNonce = true;
        options.TokenValidationParameters.ValidIssuer = TestTokenIssuer.Issuer;
        options.TokenValidationParameters.IssuerSigningKey = issuer.SigningKey;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string path, TestKey key, string token, string? nonce)
    {
        var proof = new ProofBuilder(key, "GET", "http://localhost" + path).At(DateTimeOffset.UtcNow).ForToken(token);
        if (nonce is not null)
        {
            proof.Payload["nonce"] = nonce;
        }

        return client.SendAsync(SampleApiFactory.Request(HttpMethod.Get, path, token, proof.Build()));
    }
}
