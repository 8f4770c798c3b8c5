using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// A proof's freshness (iat) is checked at step 3, its first use recorded at step 8; the token's validation and the
/// application's TokenValidated event (a user lookup, say) run in between and take time. A replay that passes step 3 in
/// the last moments of the proof's window and reaches step 8 after the first use's entry expired must still be refused.
/// </summary>
public class ReplayWindowEdgeTests
{
    [Fact]
    public async Task A_replay_checked_at_the_end_of_the_window_and_recorded_after_it_is_refused()
    {
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var clock = new FakeTimeProvider(issuedAt);
        var lookup = TimeSpan.FromSeconds(6); // longer than the ClockSkew of 5 s the entry outlives the window by
        await using var api = await SecurityApi.StartAsync(new SecurityApi.Setup
        {
            Services = services => services.AddSingleton<TimeProvider>(clock),
            Configure = o =>
            {
                o.TimeProvider = clock;
                o.Events.OnTokenValidated = _ =>
                {
                    clock.Advance(lookup); // the application's own work after the token is validated
                    return Task.CompletedTask;
                };
            },
        });
        using var key = TestKey.Create("ES256");
        string token = api.Token(key.Jkt);
        string proof = new ProofBuilder(key, "POST", SecurityApi.Origin + "/orders").ForToken(token).At(issuedAt).Build();

        using var first = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // Replayed when the proof is exactly ProofLifetime old: step 3 still accepts it; step 8 runs 6 s later, when the
        // first use's entry (iat + ProofLifetime + ClockSkew) has expired.
        clock.SetUtcNow(issuedAt + TimeSpan.FromSeconds(60));
        using var replay = await api.Client.SendAsync(SecurityApi.Request("/orders", token, proof));
        var problem = await Problem.AssertAsync(replay, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("iat", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
