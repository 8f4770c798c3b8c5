using System.Net;
using Arcp.DPoP.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>The sample under other configurations: a fixed clock, AddProblemDetails, PublicOrigin, Mode Allowed, bad settings.</summary>
public sealed class ConfiguredSampleTests
{
    private const string Register = "/agents/register";

    [Fact]
    public async Task Time_comes_from_the_injected_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 15, 10, 30, 0, TimeSpan.Zero));
        await using var factory = new SampleApiFactory { Clock = clock };
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        string oldProof = factory.Proof(key, "POST", Register, token).At(clock.GetUtcNow().AddSeconds(-412)).Build();
        using var response = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, oldProof));
        var problem = await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Equal("2025-01-15T10:30:00Z", problem.GetProperty("timestamp").GetString());
        Assert.Contains("iat is 412 s in the past; the allowed window is 60 s", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        string challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("error_description=\"The DPoP proof's iat is 412 s in the past", challenge, StringComparison.Ordinal);

        // The token itself expires by the same clock.
        clock.Advance(TimeSpan.FromMinutes(20));
        using var late = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        var expired = await Problem.AssertAsync(late, "authentication-failed", error: "invalid_token");
        Assert.Contains("expired", expired.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_AddProblemDetails_the_app_service_writes_the_same_document()
    {
        await using var factory = new SampleApiFactory { ExtraServices = s => s.AddProblemDetails() };
        using var client = factory.CreateClient();
        using var keyA = TestKey.Create();
        using var keyB = TestKey.Create();
        string token = await factory.GetTokenAsync(client, keyA);
        using var response = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(keyB, "POST", Register, token).Build()));
        var problem = await Problem.AssertAsync(response, "dpop-binding-mismatch", error: "invalid_token");
        Assert.Equal("DPoP Key Mismatch", problem.GetProperty("title").GetString());
        Assert.Equal(keyA.Jkt, problem.GetProperty("expected_jkt").GetString());
        Assert.True(problem.TryGetProperty("traceId", out _), "the app's ProblemDetails service wrote the document");
    }

    [Fact]
    public async Task PublicOrigin_sets_the_htu_behind_a_proxy()
    {
        await using var factory = new SampleApiFactory();
        factory.Settings["Authentication:Schemes:DPoP:PublicOrigin"] = "https://api.example.com";
        factory.Origin = "https://api.example.com"; // the token endpoint follows PublicOrigin too
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        string publicProof = new ProofBuilder(key, "POST", "https://api.example.com/agents/register").ForToken(token).Build();
        using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, publicProof));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        string internalProof = new ProofBuilder(key, "POST", "http://localhost/agents/register").ForToken(token).Build();
        using var internalUri = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, internalProof));
        var problem = await Problem.AssertAsync(internalUri, "dpop-invalid");
        Assert.Contains("https://api.example.com/agents/register", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mode_Allowed_accepts_unbound_bearer_tokens_but_still_needs_proofs_for_bound_ones()
    {
        await using var factory = new SampleApiFactory();
        factory.Settings["Authentication:Schemes:DPoP:Mode"] = "Allowed";
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        string unbound = factory.Issuer.CreateToken("legacy", jkt: null, lifetime: TimeSpan.FromMinutes(5), audience: "arcp-api");
        using var bearer = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, unbound, null, "Bearer"));
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);

        using var unboundAsDPoP = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, unbound, factory.Proof(key, "POST", Register, unbound).Build()));
        await Problem.AssertAsync(unboundAsDPoP, "token-not-dpop-bound");

        string bound = await factory.GetTokenAsync(client, key);
        using var downgraded = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, bound, null, "Bearer"));
        await Problem.AssertAsync(downgraded, "dpop-required");

        using var none = await client.PostAsync(Register, null);
        await Problem.AssertAsync(none, "authentication-failed");
        Assert.Equal(2, none.Headers.WwwAuthenticate.Count);
        Assert.Contains(none.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public void Invalid_configuration_stops_the_sample_at_startup()
    {
        var error = SampleApiFactory.StartupFailure(() =>
        {
            var factory = new SampleApiFactory();
            factory.Settings["Authentication:Schemes:DPoP:AllowedAlgorithms"] = "ES256 none";
            return factory;
        });
        var ex = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("AllowedAlgorithms has 'none'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_see_every_decision_and_can_override_it()
    {
        var failures = new List<DPoPFailureCode>();
        var validated = new List<string>();
        await using var factory = new SampleApiFactory
        {
            ExtraServices = s => s.PostConfigure<DPoPOptions>(DPoPDefaults.AuthenticationScheme, o =>
            {
                o.Events.OnAuthenticationFailed = c => { lock (failures) { failures.Add(c.Failure.Code); } return Task.CompletedTask; };
                o.Events.OnProofValidated = c =>
                {
                    lock (validated) { validated.Add(c.Proof.Jkt); }
                    if (c.Request.Headers.ContainsKey("X-Refuse"))
                    {
                        c.Fail("refused by policy");
                    }

                    return Task.CompletedTask;
                };
            }),
        };
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        using var ok = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal([key.Jkt], validated);

        using var refusedRequest = SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build());
        refusedRequest.Headers.Add("X-Refuse", "1");
        using var refused = await client.SendAsync(refusedRequest);
        var problem = await Problem.AssertAsync(refused, "authentication-failed");
        Assert.DoesNotContain("refused by policy", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var mismatch = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(TestKey.Create(), "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.Unauthorized, mismatch.StatusCode);
        Assert.Contains(DPoPFailureCode.BindingMismatch, failures);
    }

    [Fact]
    public async Task Metrics_count_accepted_and_rejected_requests_by_problem_type()
    {
        await using var factory = new SampleApiFactory();
        using var client = factory.CreateClient();
        var meterFactory = factory.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var accepted = new MetricCollector<long>(meterFactory, DPoPDefaults.MeterName, "arcp.dpop.accepted");
        using var rejected = new MetricCollector<long>(meterFactory, DPoPDefaults.MeterName, "arcp.dpop.rejected");
        using var duration = new MetricCollector<double>(meterFactory, DPoPDefaults.MeterName, "arcp.dpop.authentication.duration");
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);
        string proof = factory.Proof(key, "POST", Register, token).Build();

        (await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof))).Dispose();
        (await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof))).Dispose();

        Assert.Equal(1, accepted.GetMeasurementSnapshot().EvaluateAsCounter());
        var rejection = Assert.Single(rejected.GetMeasurementSnapshot());
        Assert.Equal("dpop-invalid", rejection.Tags["arcp.dpop.problem_type"]);
        Assert.Equal("ProofReplayed", rejection.Tags["arcp.dpop.failure"]);
        Assert.Equal(2, duration.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task The_sample_exports_the_Arcp_DPoP_meter_to_the_console_when_asked()
    {
        await using var factory = new SampleApiFactory();
        factory.Settings["Telemetry:ConsoleExporter"] = "true";
        using var client = factory.CreateClient();
        using var response = await client.PostAsync(Register, null);
        await Problem.AssertAsync(response, "authentication-failed");
        Assert.NotNull(factory.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
    }

    [Fact]
    public async Task Logs_carry_the_request_id_and_never_the_token_or_proof()
    {
        var collector = new FakeLogCollector();
        await using var factory = new SampleApiFactory
        {
            ExtraServices = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(collector)).AddFilter("Arcp.DPoP", LogLevel.Debug)),
        };
        using var client = factory.CreateClient();
        using var keyA = TestKey.Create();
        using var keyB = TestKey.Create();
        string token = await factory.GetTokenAsync(client, keyA);
        string goodProof = factory.Proof(keyA, "POST", Register, token).Build();
        string badProof = factory.Proof(keyB, "POST", Register, token).Build();
        (await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, goodProof))).Dispose();
        using var response = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, badProof));
        var problem = await Problem.AssertAsync(response, "dpop-binding-mismatch");
        string requestId = problem.GetProperty("request_id").GetString()!;

        var records = collector.GetSnapshot();
        Assert.Contains(records, r => r.Id.Id == 106 && r.Message.Contains(requestId, StringComparison.Ordinal) && r.Message.Contains(keyB.Jkt, StringComparison.Ordinal));
        Assert.Contains(records, r => r.Id.Id == 101 && r.Message.Contains(keyA.Jkt, StringComparison.Ordinal));
        foreach (var record in records)
        {
            Assert.DoesNotContain(token, record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(goodProof.Split('.')[2], record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(badProof.Split('.')[1], record.Message, StringComparison.Ordinal);
        }
    }
}
