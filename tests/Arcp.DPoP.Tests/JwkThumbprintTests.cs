using Arcp.DPoP.Testing;

namespace Arcp.DPoP.Tests;

public class JwkThumbprintTests
{
    [Theory]
    [MemberData(nameof(Vectors.Thumbprints), MemberType = typeof(Vectors))]
    public void Computes_the_RFC_thumbprint(string source, string jwk, string expected)
    {
        Assert.False(string.IsNullOrEmpty(source));
        Assert.Equal(expected, JwkThumbprint.Compute(jwk));
    }

    [Fact]
    public void Ignores_member_order_white_space_and_optional_members()
    {
        const string canonical = """{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}""";
        const string shuffled = """
            { "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA", "kid": "k1", "use": "sig",
              "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", "crv": "P-256", "kty": "EC" }
            """;
        Assert.Equal(JwkThumbprint.Compute(canonical), JwkThumbprint.Compute(shuffled));
        Assert.Equal("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", JwkThumbprint.Compute(shuffled));
    }

    [Fact]
    public void Typed_overloads_agree_with_the_json_form()
    {
        Assert.Equal("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
            JwkThumbprint.ComputeEC("P-256", "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"));
        using var key = TestKey.Create("RS256");
        var jwk = key.PublicJwk();
        Assert.Equal(JwkThumbprint.Compute(jwk.ToJsonString()), JwkThumbprint.ComputeRsa((string)jwk["e"]!, (string)jwk["n"]!));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"kty":"EC","crv":"P-256","x":"abc"}""")]
    [InlineData("""{"kty":"XYZ"}""")]
    [InlineData("""{"kty":"RSA","e":"AQAB","n":"a\"b"}""")]
    [InlineData("""{"kty":"RSA","e":1,"n":"abc"}""")]
    public void Refuses_what_is_not_a_jwk(string json)
    {
        Assert.Throws<FormatException>(() => JwkThumbprint.Compute(json));
    }

    [Fact]
    public void Different_keys_have_different_thumbprints()
    {
        using var a = TestKey.Create();
        using var b = TestKey.Create();
        Assert.NotEqual(a.Jkt, b.Jkt);
        Assert.Equal(43, a.Jkt.Length);
    }
}
