using System.Net;
using Arcp.DPoP.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.SampleClient;

/// <summary>
/// What the sample client does: one named HttpClient with <c>AddDPoP(o =&gt; ...)</c>, which gets a DPoP-bound token
/// from the token endpoint by itself (client credentials, RFC 9449 §5), reuses it, and gets a new one after the key
/// is rotated.
/// </summary>
public static class SampleClientRun
{
    /// <summary>Runs the sample against <paramref name="api"/>; true when every call answered as it should.</summary>
    /// <param name="api">The API's base address, e.g. <c>http://127.0.0.1:5080/</c>.</param>
    /// <param name="tokenEndpoint">The token endpoint (the sample API's development issuer: <c>/dev-issuer/token</c>).</param>
    /// <param name="clientId">The client id (the development issuer makes it the token's <c>sub</c>).</param>
    /// <param name="output">Where to tell what happens.</param>
    public static async Task<bool> RunAsync(Uri api, Uri tokenEndpoint, string clientId, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var services = new ServiceCollection();
        services.AddHttpClient("api", c => c.BaseAddress = api)
            .AddDPoP(o =>
            {
                o.TokenEndpoint = tokenEndpoint;
                o.ClientId = clientId;
            });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("api");
        var session = provider.GetRequiredKeyedService<DPoPSession>("api");

        bool ok = true;
        output.WriteLine($"Key {session.Key.Algorithm} {session.Key.Thumbprint}; tokens from {tokenEndpoint}");
        for (int i = 1; i <= 2; i++)
        {
            ok &= await CallAsync(client, output, $"call {i}");
        }

        output.WriteLine($"Rotating the key: the token bound to the old key is dropped. New key {session.RotateKey().Thumbprint}");
        ok &= await CallAsync(client, output, "call 3");
        output.WriteLine(ok ? "Done: three calls, two tokens (one per key), no token handling in the calling code." : "Something went wrong (see above).");
        return ok;
    }

    private static async Task<bool> CallAsync(HttpClient client, TextWriter output, string label)
    {
        using var response = await client.GetAsync(new Uri("/agents/me", UriKind.Relative)).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        output.WriteLine($"{label}: GET /agents/me -> {(int)response.StatusCode} {body}");
        if (response.StatusCode != HttpStatusCode.OK && await DPoPProblem.ReadAsync(response).ConfigureAwait(false) is { } problem)
        {
            output.WriteLine($"  problem: {problem}");
        }

        return response.StatusCode == HttpStatusCode.OK;
    }
}
