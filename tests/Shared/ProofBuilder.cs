using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Arcp.DPoP.Testing;

/// <summary>Builds DPoP proofs for tests, correct by default, with hooks to break any part of them.</summary>
public sealed class ProofBuilder
{
    private readonly TestKey _key;

    public ProofBuilder(TestKey key, string htm, string htu)
    {
        _key = key;
        Header = new JsonObject
        {
            ["typ"] = "dpop+jwt",
            ["alg"] = key.Algorithm,
            ["jwk"] = key.PublicJwk(),
        };
        Payload = new JsonObject
        {
            ["jti"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)),
            ["htm"] = htm,
            ["htu"] = htu,
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
    }

    public JsonObject Header { get; }

    public JsonObject Payload { get; }

    /// <summary>Raw JSON to use instead of <see cref="Header"/>, e.g. with duplicate members.</summary>
    public string? RawHeader { get; set; }

    /// <summary>Raw JSON to use instead of <see cref="Payload"/>.</summary>
    public string? RawPayload { get; set; }

    public ProofBuilder At(DateTimeOffset iat)
    {
        Payload["iat"] = iat.ToUnixTimeSeconds();
        return this;
    }

    public ProofBuilder ForToken(string? accessToken)
    {
        if (accessToken is not null)
        {
            Payload["ath"] = Ath(accessToken);
        }

        return this;
    }

    public ProofBuilder With(Action<JsonObject> header, Action<JsonObject>? payload = null)
    {
        header(Header);
        payload?.Invoke(Payload);
        return this;
    }

    public static string Ath(string accessToken) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    public string Build(Func<byte[], byte[]>? sign = null)
    {
        string header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(RawHeader ?? Header.ToJsonString()));
        string payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(RawPayload ?? Payload.ToJsonString()));
        byte[] input = Encoding.ASCII.GetBytes(header + "." + payload);
        byte[] signature = sign is null ? _key.Sign(input) : sign(input);
        return header + "." + payload + "." + Base64Url.EncodeToString(signature);
    }
}
