using System.Net;
using System.Security.Claims;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// Issue 11 item 4: an event never skips the checks that come after it (a Success() in an early event still runs the
/// proof signature, the binding and the replay check), and a failure an event sets is logged, counted and answered
/// with a problem document like the handler's own.
/// </summary>
public sealed class EventTests
{
    private static ClaimsPrincipal Someone() => new(new ClaimsIdentity([new Claim("sub", "event")], "event"));

    [Fact]
    public async Task Success_in_TokenValidated_does_not_skip_the_binding()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnTokenValidated = c => { c.Success(); return Task.CompletedTask; },
        });
        using var keyA = TestKey.Create();
        using var keyB = TestKey.Create();
        string token = api.Token(keyA.Jkt);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(keyB, "/orders", token)));
        await Problem.AssertAsync(response, "dpop-binding-mismatch");
    }

    [Fact]
    public async Task Success_in_TokenValidated_does_not_skip_the_signature_or_the_replay_check()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnTokenValidated = c => { c.Success(); return Task.CompletedTask; },
        });
        using var agent = api.NewAgent();

        string forged = new ProofBuilder(agent.Key, "POST", SecurityApi.Origin + "/orders").ForToken(agent.Token).Build(_ => new byte[64]);
        using var unsigned = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, forged));
        await Problem.AssertAsync(unsigned, "dpop-invalid");

        string proof = agent.Proof();
        using var first = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, proof));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var replay = await api.Client.SendAsync(SecurityApi.Request("/orders", agent.Token, proof));
        var problem = await Problem.AssertAsync(replay, "dpop-invalid");
        Assert.Contains("already used", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_of_a_DPoPEvents_subclass_are_raised_on_an_accepted_request()
    {
        // The handler skips the contexts of events left as they are (issue 14); an override must never be skipped.
        var events = new CountingEvents();
        await using var api = await SecurityApi.StartAsync(new() { Configure = o => o.Events = events });
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/orders", token)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((1, 1, 1), (events.MessageReceivedCount, events.TokenValidatedCount, events.ProofValidatedCount));
        Assert.Equal(key.Jkt, events.ProvedJkt);
    }

    [Fact]
    public void Only_events_someone_handles_are_observed_so_the_handler_makes_no_context_for_the_others()
    {
        // Issue 14: the three events of every accepted request cost nothing while left as they are.
        var untouched = new DPoPEvents();
        Assert.Equal((false, false, false), (untouched.ObservesMessageReceived, untouched.ObservesTokenValidated, untouched.ObservesProofValidated));

        var assigned = new DPoPEvents { OnTokenValidated = _ => Task.CompletedTask };
        Assert.Equal((false, true, false), (assigned.ObservesMessageReceived, assigned.ObservesTokenValidated, assigned.ObservesProofValidated));

        var subclass = new CountingEvents();
        Assert.Equal((true, true, true), (subclass.ObservesMessageReceived, subclass.ObservesTokenValidated, subclass.ObservesProofValidated));
    }

    private sealed class CountingEvents : DPoPEvents
    {
        public int MessageReceivedCount { get; private set; }

        public int TokenValidatedCount { get; private set; }

        public int ProofValidatedCount { get; private set; }

        public string? ProvedJkt { get; private set; }

        public override Task MessageReceived(DPoPMessageReceivedContext context)
        {
            MessageReceivedCount++;
            return base.MessageReceived(context);
        }

        public override Task TokenValidated(DPoPTokenValidatedContext context)
        {
            TokenValidatedCount++;
            return base.TokenValidated(context);
        }

        public override Task ProofValidated(DPoPProofValidatedContext context)
        {
            ProofValidatedCount++;
            ProvedJkt = context.Proof.Jkt;
            return base.ProofValidated(context);
        }
    }

    [Fact]
    public async Task Success_in_MessageReceived_does_not_authenticate_a_request_without_credentials()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnMessageReceived = c => { c.Principal = Someone(); c.Success(); return Task.CompletedTask; },
        });

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token: null, proof: null));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Success_in_AuthenticationFailed_does_not_turn_a_refusal_into_an_acceptance()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnAuthenticationFailed = c => { c.Principal = Someone(); c.Success(); return Task.CompletedTask; },
        });
        using var keyA = TestKey.Create();
        using var keyB = TestKey.Create();
        string token = api.Token(keyA.Jkt);

        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(keyB, "/orders", token)));
        await Problem.AssertAsync(response, "dpop-binding-mismatch");
    }

    [Fact]
    public async Task Success_in_ProofValidated_after_every_check_is_honoured()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnProofValidated = c => { c.Success(); return Task.CompletedTask; },
        });
        using var agent = api.NewAgent();
        using var response = await api.Client.SendAsync(agent.Request());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_failure_set_by_an_event_is_logged_counted_and_answered_like_the_handlers_own()
    {
        var logs = new FakeLogCollector();
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnTokenValidated = c => { c.Fail("the agent is suspended"); return Task.CompletedTask; },
            Services = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs))),
        });
        using var rejected = new MetricCollector<long>(api.App.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), DPoPDefaults.MeterName, "arcp.dpop.rejected");
        using var agent = api.NewAgent();

        using var response = await api.Client.SendAsync(agent.Request());
        var problem = await Problem.AssertAsync(response, "authentication-failed", error: "invalid_token");
        Assert.DoesNotContain("suspended", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var measurement = Assert.Single(rejected.GetMeasurementSnapshot());
        Assert.Equal("authentication-failed", measurement.Tags["arcp.dpop.problem_type"]);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Name == "DPoPRejected" && r.Message.Contains("application", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_chooses_the_failure_with_a_DPoPAuthenticationException()
    {
        await using var api = await SecurityApi.StartAsync(new()
        {
            Configure = o => o.Events.OnMessageReceived = c =>
            {
                c.Fail(new DPoPAuthenticationException(new DPoPFailure(DPoPFailureCode.TokenNotBound, "This API serves DPoP-bound tokens from the partner issuer only.")));
                return Task.CompletedTask;
            },
        });
        using var agent = api.NewAgent();

        using var response = await api.Client.SendAsync(agent.Request());
        var problem = await Problem.AssertAsync(response, "token-not-dpop-bound", error: "invalid_token");
        Assert.Equal("This API serves DPoP-bound tokens from the partner issuer only.", problem.GetProperty("detail").GetString());
    }
}
