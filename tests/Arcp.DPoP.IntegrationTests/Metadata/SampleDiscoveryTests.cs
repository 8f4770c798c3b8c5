using System.Net;
using System.Text.Json;

namespace Arcp.DPoP.IntegrationTests.Metadata;

/// <summary>The sample API publishes its RFC 9728 metadata, and its 401s point to it.</summary>
public sealed class SampleDiscoveryTests : IClassFixture<SampleApiFactory>
{
    private readonly SampleApiFactory _factory;

    public SampleDiscoveryTests(SampleApiFactory factory)
    {
        _factory = factory;
    }

    [Fact]
    public async Task The_sample_publishes_its_metadata_and_its_401_points_to_it()
    {
        using var client = _factory.CreateClient();
        using var unauthorized = await client.PostAsync("/agents/register", null);
        string challenge = Assert.Single(unauthorized.Headers.WwwAuthenticate).ToString();
        Assert.EndsWith("resource_metadata=\"http://localhost/.well-known/oauth-protected-resource\"", challenge, StringComparison.Ordinal);

        using var response = await client.GetAsync("/.well-known/oauth-protected-resource");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("http://localhost", root.GetProperty("resource").GetString());
        Assert.Equal("Arcp.DPoP sample API", root.GetProperty("resource_name").GetString());
        Assert.Equal(["agents:register", "agents:admin"], root.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("dpop_bound_access_tokens_required").GetBoolean());
    }
}
