using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 items 8 and 9 through the handler: a caller without a valid token cannot fill the proof-header cache, and
/// the binding is compared before the proof's signature is verified, so a token holder cannot make the server verify
/// signatures made with keys the token is not bound to.
/// </summary>
public sealed class ProofCostHandlerTests
{
    [Fact]
    public async Task Callers_without_a_valid_token_do_not_grow_the_proof_header_cache()
    {
        await using var api = await SecurityApi.StartAsync();
        var state = api.App.Services.GetRequiredService<DPoPSchemeStates>()
            .Get(DPoPDefaults.AuthenticationScheme, api.App.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme));
        using var bound = TestKey.Create();
        string boundToAnother = api.Token(bound.Jkt);
        for (int i = 0; i < 30; i++)
        {
            using var key = TestKey.Create();
            const string forged = "eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
            using var noToken = await api.Client.SendAsync(SecurityApi.Request("/orders", forged, SecurityApi.Proof(key, "/orders", forged)));
            using var otherKey = await api.Client.SendAsync(SecurityApi.Request("/orders", boundToAnother, SecurityApi.Proof(key, "/orders", boundToAnother)));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, noToken.StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, otherKey.StatusCode);
        }

        Assert.Equal(0, state.Validator.CachedHeaderCount);
        using var ok = await api.Client.SendAsync(SecurityApi.Request("/orders", boundToAnother, SecurityApi.Proof(bound, "/orders", boundToAnother)));
        Assert.Equal(System.Net.HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(1, state.Validator.CachedHeaderCount);
    }

    [Fact]
    public async Task The_binding_is_compared_before_the_signature_is_verified()
    {
        await using var api = await SecurityApi.StartAsync();
        using var keyA = TestKey.Create();
        using var keyB = TestKey.Create();
        string token = api.Token(keyA.Jkt);

        // Key B's proof with a signature that would not verify: the cheap binding check answers first.
        string proof = new ProofBuilder(keyB, "POST", SecurityApi.Origin + "/orders").ForToken(token).Build(_ => new byte[64]);
        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof));
        await Problem.AssertAsync(response, "dpop-binding-mismatch");
    }
}
