using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>The opt-in validated-token cache: faster repeats, never past exp, and the proof still checked every time.</summary>
public sealed class ValidatedTokenCacheTests
{
    private const string Register = "/agents/register";

    private static SampleApiFactory Factory(FakeTimeProvider clock, List<int>? jktClaimCounts = null)
    {
        var factory = new SampleApiFactory
        {
            Clock = clock,
            ExtraServices = s => s.PostConfigure<DPoPOptions>(DPoPDefaults.AuthenticationScheme, o =>
            {
                o.Events.OnProofValidated = c =>
                {
                    jktClaimCounts?.Add(c.Principal!.FindAll(DPoPDefaults.JktClaimType).Count());
                    return Task.CompletedTask;
                };
            }),
        };
        factory.Settings["Authentication:Schemes:DPoP:CacheValidatedTokens"] = "true";
        return factory;
    }

    [Fact]
    public async Task A_cached_token_still_needs_a_fresh_valid_proof_every_time()
    {
        var counts = new List<int>();
        await using var factory = Factory(new FakeTimeProvider(DateTimeOffset.UtcNow), counts);
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        using var other = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        var options = factory.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);

        string proof = factory.Proof(key, "POST", Register, token).Build();
        for (int i = 0; i < 3; i++)
        {
            using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(1, factory.Services.GetRequiredService<DPoPSchemeStates>().Get(DPoPDefaults.AuthenticationScheme, options).TokenCache!.Count);
        Assert.Equal([1, 1, 1], counts); // one jkt claim per request: the cached identity is never changed

        using var first = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replay = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        await Problem.AssertAsync(replay, "dpop-invalid");
        using var mismatch = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(other, "POST", Register, token).Build()));
        await Problem.AssertAsync(mismatch, "dpop-binding-mismatch");
        using var noProof = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, null));
        await Problem.AssertAsync(noProof, "dpop-required");
    }

    // Every request of a cached token gets its own identity (issue 14 kept it): what one request's events or claims
    // transformations do to it, directly or through a claim's Subject, no other request sees.
    [Fact]
    public async Task What_one_request_does_to_its_identity_no_other_request_of_the_cached_token_sees()
    {
        var seen = new List<string>();
        var factory = new SampleApiFactory
        {
            Clock = new FakeTimeProvider(DateTimeOffset.UtcNow),
            ExtraServices = s => s.PostConfigure<DPoPOptions>(DPoPDefaults.AuthenticationScheme, o =>
            {
                o.Events.OnTokenValidated = c =>
                {
                    var identity = (System.Security.Claims.ClaimsIdentity)c.Principal!.Identity!;
                    seen.Add(string.Join(",", identity.Claims.Select(claim => claim.Type).Order(StringComparer.Ordinal)) +
                        ";scope properties: " + identity.FindFirst("scope")!.Properties.Count);
                    identity.AddClaim(new System.Security.Claims.Claim("added", "1"));
                    var sub = identity.FindFirst("sub")!;
                    sub.Subject!.AddClaim(new System.Security.Claims.Claim("added-through-subject", "1"));
                    Assert.True(sub.Subject.TryRemoveClaim(sub));
                    identity.FindFirst("scope")!.Properties["changed"] = "1";
                    return Task.CompletedTask;
                };
                o.Events.OnProofValidated = c =>
                {
                    Assert.Null(c.Principal!.FindFirst("sub")); // this request's change stays in this request
                    return Task.CompletedTask;
                };
            }),
        };
        factory.Settings["Authentication:Schemes:DPoP:CacheValidatedTokens"] = "true";
        await using var _ = factory;
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        for (int i = 0; i < 3; i++)
        {
            using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        Assert.Equal(3, seen.Count);
        Assert.All(seen, claims => Assert.Equal(seen[0], claims)); // every request starts from the token's claims
        Assert.Contains("sub", seen[0].Split(',', ';'));
        Assert.DoesNotContain("added", seen[0].Split(',', ';'));
        Assert.EndsWith(";scope properties: 0", seen[0], StringComparison.Ordinal);
        var options = factory.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
        var cache = factory.Services.GetRequiredService<DPoPSchemeStates>().Get(DPoPDefaults.AuthenticationScheme, options).TokenCache!;
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task A_cached_token_expires_with_its_exp()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = Factory(clock);
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // The development token lives 10 minutes; the token validation clock skew adds 5 more.
        clock.Advance(TimeSpan.FromMinutes(16));
        using var late = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        var problem = await Problem.AssertAsync(late, "authentication-failed");
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_token_is_never_served_from_the_cache()
    {
        await using var factory = Factory(new FakeTimeProvider(DateTimeOffset.UtcNow));
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        string tampered = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA");
        using var forged = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, tampered, factory.Proof(key, "POST", Register, tampered).Build()));
        await Problem.AssertAsync(forged, "authentication-failed");
    }
}
