using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// The <c>Arcp.DPoP</c> activity source (issue 15 part 7): one activity per authentication, with the tags an operator
/// filters on, and never a token, a proof, a thumbprint or a jti.
/// </summary>
public sealed class TracingTests
{
    private const string Register = "/agents/register";

    [Fact]
    public async Task An_accepted_request_and_a_replayed_one_each_leave_one_activity_with_their_outcome()
    {
        using var trace = new TraceCollector();
        await using var factory = new SampleApiFactory();
        factory.Settings["Authentication:Schemes:DPoP:CacheValidatedTokens"] = "true";
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        string proof = factory.Proof(key, "POST", Register, token).Build();

        using (var accepted = await client.SendAsync(trace.Traced(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof))))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var success = Assert.Single(trace.Activities);
        Assert.Equal("Arcp.DPoP.Authenticate", success.OperationName);
        Assert.Equal("accepted", success.GetTagItem("arcp.dpop.outcome"));
        Assert.Equal("dpop", success.GetTagItem("arcp.dpop.token_binding"));
        Assert.Equal("ES256", success.GetTagItem("arcp.dpop.algorithm"));
        Assert.Equal("miss", success.GetTagItem("arcp.dpop.token_cache"));
        Assert.Equal("InMemory", success.GetTagItem("arcp.dpop.replay_store"));
        Assert.Equal(DPoPDefaults.AuthenticationScheme, success.GetTagItem("arcp.dpop.scheme"));
        Assert.Null(success.GetTagItem("arcp.dpop.problem_type"));
        Assert.Equal(ActivityStatusCode.Unset, success.Status);

        // The same proof again: refused as a replay, after the token was found in the cache.
        trace.Clear();
        using (var replayed = await client.SendAsync(trace.Traced(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof))))
        {
            await Problem.AssertAsync(replayed, "dpop-invalid");
        }

        var refusal = Assert.Single(trace.Activities);
        Assert.Equal("rejected", refusal.GetTagItem("arcp.dpop.outcome"));
        Assert.Equal("dpop-invalid", refusal.GetTagItem("arcp.dpop.problem_type"));
        Assert.Equal("ProofReplayed", refusal.GetTagItem("arcp.dpop.failure"));
        Assert.Equal("hit", refusal.GetTagItem("arcp.dpop.token_cache"));
        Assert.Null(refusal.GetTagItem("arcp.dpop.token_binding"));
        Assert.Equal(ActivityStatusCode.Unset, refusal.Status); // the client's mistake, not the server's

        foreach (var activity in new[] { success, refusal })
        {
            foreach (var (name, value) in activity.Tags)
            {
                Assert.DoesNotContain(token, value ?? string.Empty, StringComparison.Ordinal);
                Assert.DoesNotContain(proof.Split('.')[1], value ?? string.Empty, StringComparison.Ordinal);
                Assert.NotEqual(key.Jkt, value);
                Assert.DoesNotContain("jti", name, StringComparison.Ordinal);
                Assert.DoesNotContain("jkt", name, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_request_refused_before_its_proof_is_read_still_has_its_activity()
    {
        using var trace = new TraceCollector();
        await using var factory = new SampleApiFactory();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        using var response = await client.SendAsync(trace.Traced(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof: null)));
        await Problem.AssertAsync(response, "dpop-required");

        var refusal = Assert.Single(trace.Activities);
        Assert.Equal("rejected", refusal.GetTagItem("arcp.dpop.outcome"));
        Assert.Equal("dpop-required", refusal.GetTagItem("arcp.dpop.problem_type"));
        Assert.Null(refusal.GetTagItem("arcp.dpop.algorithm"));
        Assert.Null(refusal.GetTagItem("arcp.dpop.token_cache")); // the cache is off in this configuration
    }

    /// <summary>
    /// Listens to <c>Arcp.DPoP</c> (and ASP.NET Core's request activity, whose parent the test sets with a
    /// <c>traceparent</c> header), keeping only this test's trace: other tests run in parallel in the same process.
    /// </summary>
    private sealed class TraceCollector : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ActivityTraceId _traceId = ActivityTraceId.CreateRandom();
        private readonly ConcurrentQueue<Activity> _activities = new();

        public TraceCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is DPoPDefaults.ActivitySourceName or "Microsoft.AspNetCore",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.Source.Name == DPoPDefaults.ActivitySourceName && activity.TraceId == _traceId)
                    {
                        _activities.Enqueue(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> Activities => [.. _activities];

        public void Clear() => _activities.Clear();

        public HttpRequestMessage Traced(HttpRequestMessage request)
        {
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{_traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            return request;
        }

        public void Dispose() => _listener.Dispose();
    }
}
