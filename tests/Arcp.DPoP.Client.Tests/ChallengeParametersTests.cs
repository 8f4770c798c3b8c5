namespace Arcp.DPoP.Client.Tests;

/// <summary>The client reads a challenge's auth-params (RFC 9110 §11.2) without ever throwing on what a server sends.</summary>
public sealed class ChallengeParametersTests
{
    [Theory]
    [InlineData("algs=\"ES256\", resource_metadata=\"https://a.example/x\"", "https://a.example/x")]
    [InlineData("resource_metadata=https://a.example/x", "https://a.example/x")]
    [InlineData("RESOURCE_METADATA = \"https://a.example/x\"", "https://a.example/x")]
    [InlineData("error_description=\"resource_metadata=\\\"https://evil.example\\\"\", resource_metadata=\"https://a.example/x\"", "https://a.example/x")]
    [InlineData("error_description=\"a, b\"", null)]
    [InlineData("resource_metadata=\"https://a.example/x", null)] // unterminated
    [InlineData("dG9rZW42OA==", null)] // token68, not auth-params
    [InlineData("", null)]
    [InlineData(",,, ,", null)]
    [InlineData("=", null)]
    [InlineData("resource_metadata=", "")]
    public void Reads_the_parameter_or_nothing(string parameters, string? expected)
    {
        Assert.Equal(expected, ChallengeParameters.Find(parameters, "resource_metadata"));
    }
}
