namespace Arcp.DPoP.Tests;

public class HtuNormalizerTests
{
    [Theory]
    [MemberData(nameof(Vectors.HtuComparisons), MemberType = typeof(Vectors))]
    public void Compares_htu_with_the_request_uri_as_the_vectors_say(string request, string htu, bool match, string why)
    {
        Assert.True(HtuNormalizer.TryNormalize(request, out string normalizedRequest, out _), request);
        bool matched = HtuNormalizer.TryNormalize(htu, out string normalizedHtu, out _) &&
            string.Equals(normalizedRequest, normalizedHtu, StringComparison.Ordinal);
        Assert.True(match == matched, $"{request} vs {htu}: expected match={match} ({why}), got {normalizedRequest} vs {normalizedHtu}");
    }

    [Theory]
    [InlineData("HTTPS://Api.Example.COM:443/a/./b/../c", "https://api.example.com/a/c")]
    [InlineData("http://[::1]:8080/x?y#z", "http://[::1]:8080/x")]
    [InlineData("http://[::1]:80", "http://[::1]/")]
    [InlineData("https://h/a%2fb", "https://h/a%2Fb")]
    [InlineData("https://h/%41%7e%2E", "https://h/A~.")]
    [InlineData("https://h/caf\u00e9 x", "https://h/caf%C3%A9%20x")]
    [InlineData("https://h:0443/", "https://h/")]
    [InlineData("https://h:/p", "https://h/p")]
    public void Normalises(string input, string expected)
    {
        Assert.True(HtuNormalizer.TryNormalize(input, out string normalized, out string? error), error);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("/relative", "absolute")]
    [InlineData("ftp://h/x", "http or https")]
    [InlineData("https://user:pw@h/x", "userinfo")]
    [InlineData("https:///x", "no host")]
    [InlineData("https://h:99999/x", "port")]
    [InlineData("https://h:abc/x", "port")]
    [InlineData("https://h/%zz", "percent")]
    [InlineData("https://h/%4", "percent")]
    [InlineData("https://[::1/x", "bracket")]
    [InlineData("https://h\u0000x/", "host")]
    public void Refuses(string? input, string reason)
    {
        Assert.False(HtuNormalizer.TryNormalize(input, out _, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
