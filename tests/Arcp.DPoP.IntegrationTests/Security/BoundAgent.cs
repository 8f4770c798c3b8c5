using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>An agent of <see cref="SecurityApi"/>: its key and an access token bound to that key (cnf.jkt).</summary>
internal sealed class BoundAgent : IDisposable
{
    public BoundAgent(TestKey key, string token)
    {
        Key = key;
        Token = token;
    }

    public TestKey Key { get; }

    public string Token { get; }

    /// <summary>A fresh proof for <paramref name="path"/>, signed with the agent's key and carrying ath.</summary>
    public string Proof(string path = "/orders", string method = "POST") => SecurityApi.Proof(Key, path, Token, method);

    /// <summary>A request with the token under the DPoP scheme and a fresh proof.</summary>
    public HttpRequestMessage Request(string path = "/orders", string method = "POST") =>
        SecurityApi.Request(path, Token, Proof(path, method), method: method);

    public void Dispose() => Key.Dispose();
}
