using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// An agent that makes DPoP proofs the way ARCP's agent helper (examples/agents/dpop_helper.py, DPoPGenerator) does,
/// from its documented format: header {"alg","jwk","typ":"dpop+jwt"} with keys sorted (as PyJWT writes them) and the
/// jwk members sorted too; claims jti (a UUID4), htm (upper case), htu (scheme://host/path: query and fragment dropped),
/// iat, then ath when given the token and nonce when given one; no exp. ARCP's helper signs only with EdDSA over
/// Ed25519; ES256 is the other algorithm ARCP's server accepts.
/// </summary>
public sealed class ArcpAgent : IDisposable
{
    private readonly Key? _ed25519;
    private readonly ECDsa? _ecdsa;

    public ArcpAgent(string algorithm = "EdDSA")
    {
        Algorithm = algorithm;
        if (algorithm == "EdDSA")
        {
            _ed25519 = Key.Create(SignatureAlgorithm.Ed25519);
            Jwk = new JsonObject
            {
                ["crv"] = "Ed25519",
                ["kty"] = "OKP",
                ["x"] = Base64Url.EncodeToString(_ed25519.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            };
        }
        else if (algorithm == "ES256")
        {
            _ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var p = _ecdsa.ExportParameters(false);
            Jwk = new JsonObject { ["crv"] = "P-256", ["kty"] = "EC", ["x"] = Base64Url.EncodeToString(p.Q.X), ["y"] = Base64Url.EncodeToString(p.Q.Y) };
        }
        else
        {
            throw new ArgumentException("ARCP agents sign with EdDSA or ES256", nameof(algorithm));
        }

        // RFC 7638: the required members in lexicographic order, no whitespace, then SHA-256, base64url.
        Jkt = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(Jwk.ToJsonString())));
    }

    public string Algorithm { get; }

    /// <summary>The public JWK, members sorted (they are exactly the RFC 7638 required members).</summary>
    public JsonObject Jwk { get; }

    public string Jkt { get; }

    public string CreateProof(string method, string uri, string? accessToken = null, string? nonce = null)
    {
        var target = new Uri(uri);
        var claims = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString(), // uuid4
            ["htm"] = method.ToUpperInvariant(),
            ["htu"] = target.Scheme + "://" + target.Authority + target.AbsolutePath,
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        if (accessToken is not null)
        {
            claims["ath"] = Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(accessToken)));
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        var header = new JsonObject { ["alg"] = Algorithm, ["jwk"] = Jwk.DeepClone(), ["typ"] = "dpop+jwt" };
        string signingInput = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." +
            Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        byte[] data = Encoding.ASCII.GetBytes(signingInput);
        byte[] signature = _ed25519 is not null
            ? SignatureAlgorithm.Ed25519.Sign(_ed25519, data)
            : _ecdsa!.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    public void Dispose()
    {
        _ed25519?.Dispose();
        _ecdsa?.Dispose();
    }
}
