using Arcp.DPoP.SampleAgent;

namespace Arcp.DPoP.Client.Tests;

public sealed class SampleAgentStoryTests
{
    [Fact]
    public async Task The_sample_agent_tells_the_whole_story_against_the_sample_api()
    {
        await using var api = new SampleApi();
        using var transport = api.Server.CreateHandler();
        using var output = new StringWriter();

        bool ok = await new AgentStory(SampleApi.BaseAddress, transport, new StoryWriter(output, color: false)).RunAsync();

        string story = output.ToString();
        Assert.True(ok, story);
        Assert.Contains("dpop-binding-mismatch", story, StringComparison.Ordinal);
        Assert.Contains("DPoP proof key does not match token binding", story, StringComparison.Ordinal);
        Assert.Contains("already used", story, StringComparison.Ordinal);
        Assert.Contains("The story went as it should.", story, StringComparison.Ordinal);
        Assert.Equal(2, story.Split("✔ 200 OK").Length - 1); // registered with key A, then with key B
    }
}
