using System.Net;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Review (issue 14): two instances of the sample API on one real redis-server, many different proofs each sent
/// several times to both at once, so each instance's Redis batches hold many proofs, some of them twice, beside the
/// other instance's: every proof is accepted exactly once, every other send is a replay (401), none a 5xx; and each
/// accepted request is its own agent's, with the validated-token cache (the token read from the header) or without.
/// </summary>
public sealed class WebFarmBatchTests : IClassFixture<RedisServer>, IAsyncLifetime
{
    private const string Register = "/agents/register";
    private readonly RedisServer _redis;
    private TwoInstanceFarm? _farm;

    public WebFarmBatchTests(RedisServer redis)
    {
        _redis = redis;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _farm?.DisposeAsync().AsTask() ?? Task.CompletedTask;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Of_many_proofs_each_sent_to_both_instances_at_once_each_is_accepted_exactly_once(bool cacheTokens)
    {
        var farm = _farm = new TwoInstanceFarm(_redis, instance =>
            instance.Settings["Authentication:Schemes:DPoP:CacheValidatedTokens"] = cacheTokens ? "true" : "false");
        using var alice = TestKey.Create();
        using var bob = TestKey.Create();
        var agents = new[] { (Key: alice, Token: await farm.One.GetTokenAsync(farm.Client1, alice)), (Key: bob, Token: await farm.Two.GetTokenAsync(farm.Client2, bob)) };
        // Each agent once on each instance first: with the cache on, both tokens are in it when the storm comes.
        foreach (var agent in agents)
        {
            foreach (var client in new[] { farm.Client1, farm.Client2 })
            {
                var warmUp = await SendAsync(client, agent.Token, farm.One.Proof(agent.Key, "POST", Register, agent.Token).Build());
                Assert.Equal((HttpStatusCode.OK, agent.Key.Jkt), warmUp);
            }
        }

        var proofs = Enumerable.Range(0, 40).Select(p => (Agent: p % 2, Proof: farm.One.Proof(agents[p % 2].Key, "POST", Register, agents[p % 2].Token).Build())).ToArray();

        // Every proof six times, three to each instance, all at once.
        var sends = proofs.SelectMany((proof, p) => Enumerable.Range(0, 6).Select(i =>
            (Proof: p, proof.Agent, Answer: SendAsync(i % 2 == 0 ? farm.Client1 : farm.Client2, agents[proof.Agent].Token, proof.Proof)))).ToArray();
        var answers = await Task.WhenAll(sends.Select(s => s.Answer));

        foreach (var group in sends.Select((s, i) => (s.Proof, s.Agent, answers[i].Status, answers[i].Jkt)).GroupBy(s => s.Proof))
        {
            SampleApiFactory.AssertExactlyOneAccepted([.. group.Select(s => s.Status)]);
            var accepted = group.Single(s => s.Status == HttpStatusCode.OK);
            Assert.Equal(agents[accepted.Agent].Key.Jkt, accepted.Jkt);
        }
    }

    private static async Task<(HttpStatusCode Status, string? Jkt)> SendAsync(HttpClient client, string token, string proof)
    {
        using var request = SampleApiFactory.Request(HttpMethod.Post, Register, token, proof);
        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, null);
        }

        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, body.RootElement.GetProperty("jkt").GetString());
    }
}
