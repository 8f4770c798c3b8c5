using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// ES proofs are verified from the hash on the stack with <c>VerifyHash(span, span)</c> (issue 14): the signature must
/// still be read only in the JWS form, R and S as fixed-length big-endian integers (RFC 7518 §3.4), over the hash of
/// the alg the header names.
/// </summary>
public sealed class EcdsaSignatureFormTests
{
    private const string Path = "/orders";

    public static TheoryData<string, string> Forms => new()
    {
        { "ES256", "der" }, // ASN.1 DER, as .NET and OpenSSL sign by default
        { "ES384", "der" },
        { "ES256", "sha384" }, // the right form over another hash than the alg's
        { "ES384", "sha256" },
        { "ES512", "sha256" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_signature_in_another_form_or_over_another_hash_is_refused(string algorithm, string form)
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create(algorithm);
        using var ecdsa = Import(key);
        string token = api.Token(key.Jkt);

        Func<byte[], byte[]> sign = form switch
        {
            "der" => input => ecdsa.SignData(input, Hash(algorithm), DSASignatureFormat.Rfc3279DerSequence),
            _ => input => ecdsa.SignHash(form == "sha256" ? SHA256.HashData(input) : SHA384.HashData(input)),
        };
        string proof = new ProofBuilder(key, "POST", SecurityApi.Origin + Path).ForToken(token).Build(sign);
        using var refused = await api.Client.SendAsync(SecurityApi.Request(Path, token, proof));
        var problem = await Problem.AssertAsync(refused, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("signature", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);

        // The same key's JWS-form signature is accepted: the key itself was fine.
        string good = new ProofBuilder(key, "POST", SecurityApi.Origin + Path).ForToken(token)
            .Build(input => ecdsa.SignData(input, Hash(algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        using var ok = await api.Client.SendAsync(SecurityApi.Request(Path, token, good));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static HashAlgorithmName Hash(string algorithm) => algorithm switch
    {
        "ES256" => HashAlgorithmName.SHA256,
        "ES384" => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    private static ECDsa Import(TestKey key)
    {
        var jwk = key.PrivateJwk();
        var curve = (string)jwk["crv"]! switch
        {
            "P-256" => ECCurve.NamedCurves.nistP256,
            "P-384" => ECCurve.NamedCurves.nistP384,
            _ => ECCurve.NamedCurves.nistP521,
        };
        return ECDsa.Create(new ECParameters
        {
            Curve = curve,
            D = Base64Url.DecodeFromChars((string)jwk["d"]!),
            Q = new ECPoint { X = Base64Url.DecodeFromChars((string)jwk["x"]!), Y = Base64Url.DecodeFromChars((string)jwk["y"]!) },
        });
    }
}
