using System.Net;
using System.Text.Json;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>Asserts a response is an ARCP problem document of a given type, with the challenge header.</summary>
internal static class Problem
{
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, string slug, HttpStatusCode status = HttpStatusCode.Unauthorized, string? error = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var root = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal("https://arcp.0x001.tech/docs/problems/" + slug, root.GetProperty("type").GetString());
        Assert.Equal((int)status, root.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("detail").GetString()));
        Assert.StartsWith("/", root.GetProperty("instance").GetString(), StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", root.GetProperty("timestamp").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("request_id").GetString()));
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        if (status == HttpStatusCode.Unauthorized)
        {
            string challenge = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
            Assert.StartsWith("DPoP ", challenge, StringComparison.Ordinal);
            Assert.Contains("algs=\"", challenge, StringComparison.Ordinal);
            if (error is not null)
            {
                Assert.Contains($"error=\"{error}\"", challenge, StringComparison.Ordinal);
                Assert.Equal(error, root.GetProperty("error").GetString());
            }
        }

        return root;
    }
}
