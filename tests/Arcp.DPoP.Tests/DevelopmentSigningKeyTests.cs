using System.Security.Cryptography;
using Arcp.DPoP.Development;

namespace Arcp.DPoP.Tests;

/// <summary>The development issuer's key file and issuer rule (docs/development-issuer.md).</summary>
public sealed class DevelopmentSigningKeyTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("arcp-dpop-devkey-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Processes_starting_at_once_end_up_with_one_key()
    {
        string path = Path.Combine(_folder.FullName, ".arcp-dpop-dev", "signing-key.pem");
        var keys = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => DevelopmentSigningKey.LoadOrCreate(path))));
        try
        {
            Assert.Single(keys.Select(k => k.KeyId).Distinct());
            Assert.Equal(["signing-key.pem"], Directory.GetFiles(Path.GetDirectoryName(path)!, "*.pem").Select(Path.GetFileName)); // no temporary file left
        }
        finally
        {
            foreach (var key in keys)
            {
                key.Dispose();
            }
        }
    }

    [Fact]
    public void A_file_that_is_not_a_P256_private_key_stops_the_app_naming_the_file()
    {
        string path = Path.Combine(_folder.FullName, "key.pem");

        File.WriteAllText(path, "not a key");
        var garbage = Assert.Throws<InvalidOperationException>(() => DevelopmentSigningKey.LoadOrCreate(path));
        Assert.Contains(path, garbage.Message, StringComparison.Ordinal);
        Assert.Contains("Delete it", garbage.Message, StringComparison.Ordinal);

        using (var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384))
        {
            File.WriteAllText(path, p384.ExportPkcs8PrivateKeyPem());
        }

        Assert.Contains("not a P-256 key", Assert.Throws<InvalidOperationException>(() => DevelopmentSigningKey.LoadOrCreate(path)).Message, StringComparison.Ordinal);

        using (var publicOnly = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(path, publicOnly.ExportSubjectPublicKeyInfoPem());
        }

        Assert.Throws<InvalidOperationException>(() => DevelopmentSigningKey.LoadOrCreate(path));
    }

    [Fact]
    public void A_pem_written_by_another_program_is_used_with_its_thumbprint_as_kid()
    {
        string path = Path.Combine(_folder.FullName, "issuer.pem");
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(path, ecdsa.ExportPkcs8PrivateKeyPem());

        using var key = DevelopmentSigningKey.LoadOrCreate(path);
        var expected = new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(ecdsa);
        Assert.Equal(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(expected.ComputeJwkThumbprint()), key.KeyId);
        Assert.False(File.Exists(Path.Combine(_folder.FullName, ".gitignore"))); // only the default folder gets one
    }

    [Theory]
    [InlineData("http://localhost/dev-issuer", true)]
    [InlineData("http://127.0.0.1:5080/dev-issuer", true)]
    [InlineData("https://api.example/base/dev-issuer", true)]
    [InlineData("http://localhost/not-dev-issuer", false)]
    [InlineData("http://localhost/dev-issuer/", false)]
    [InlineData("http://localhost/dev-issuer?x=1", false)]
    [InlineData("http://localhost/dev-issuer#x", false)]
    [InlineData("http://user@localhost/dev-issuer", false)]
    [InlineData("ftp://localhost/dev-issuer", false)]
    [InlineData("/dev-issuer", false)]
    [InlineData("https://dev-issuer.arcp-dpop.invalid", false)]
    [InlineData(null, false)]
    public void The_issuer_rule_is_an_http_url_whose_path_is_the_issuers(string? issuer, bool accepted) =>
        Assert.Equal(accepted, DPoPDevelopmentIssuer.IsIssuer(issuer, "/dev-issuer"));

    [Theory]
    [InlineData(null, "/dev-issuer")]
    [InlineData("/tools/issuer/", "/tools/issuer")]
    public void The_path_is_normalised(string? path, string expected) => Assert.Equal(expected, DPoPDevelopmentIssuer.NormalizePath(path));

    [Theory]
    [InlineData("dev-issuer")]
    [InlineData("/dev?x")]
    public void A_path_that_is_not_a_path_is_refused(string path) =>
        Assert.Throws<InvalidOperationException>(() => DPoPDevelopmentIssuer.NormalizePath(path));
}
