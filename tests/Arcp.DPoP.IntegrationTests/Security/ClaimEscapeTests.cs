using System.Net;
using System.Text.Json;
using Arcp.DPoP.Testing;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// The proof's string claims are compared as the payload's bytes when they have no escapes, and as their unescaped
/// text otherwise (issue 14): a claim is judged by its JSON value, never by how it was written (RFC 8259 §7), and one
/// jti is one replay entry however its text is escaped (RFC 9449 §11.1).
/// </summary>
public sealed class ClaimEscapeTests
{
    private const string Path = "/orders";

    // The payload written by hand: every string claim given in the JSON text shown.
    private static string Proof(TestKey key, string token, string jti, string htm = "\"POST\"", string? htu = null, string? ath = null) =>
        new ProofBuilder(key, "POST", SecurityApi.Origin + Path)
        {
            RawPayload = $"{{\"jti\":{jti},\"htm\":{htm},\"htu\":{htu ?? JsonSerializer.Serialize(SecurityApi.Origin + Path)},\"iat\":{DateTimeOffset.UtcNow.ToUnixTimeSeconds()},\"ath\":{ath ?? JsonSerializer.Serialize(ProofBuilder.Ath(token))}}}",
        }.Build();

    [Fact]
    public async Task Escaped_claims_equal_to_the_request_s_values_are_accepted()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string ath = ProofBuilder.Ath(token);
        string escapedAth = "\"\\u" + ((int)ath[0]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + ath[1..] + "\"";

        string proof = Proof(key, token, "\"\\u006a-1\"", htm: "\"\\u0050OST\"", htu: "\"http:\\/\\/localhost\\/orders\"", ath: escapedAth);
        using var ok = await api.Client.SendAsync(SecurityApi.Request(Path, token, proof));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Theory]
    [InlineData("\"\\u0070OST\"")] // pOST
    [InlineData("\"POS\\u0054 \"")]
    public async Task An_escaped_htm_that_is_another_method_is_refused(string htm)
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var refused = await api.Client.SendAsync(SecurityApi.Request(Path, token, Proof(key, token, "\"j-2\"", htm: htm)));
        var problem = await Problem.AssertAsync(refused, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("htm", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_escaped_ath_of_another_token_is_refused()
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);
        string other = ProofBuilder.Ath(token + "x");
        string escaped = "\"\\u" + ((int)other[0]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + other[1..] + "\"";

        using var refused = await api.Client.SendAsync(SecurityApi.Request(Path, token, Proof(key, token, "\"j-3\"", ath: escaped)));
        await Problem.AssertAsync(refused, "dpop-invalid", error: "invalid_dpop_proof");
    }

    [Theory]
    [InlineData("\"abc\"", "\"\\u0061bc\"")]
    [InlineData("\"\\u0061bc\"", "\"abc\"")]
    [InlineData("\"caf\u00e9\"", "\"caf\\u00e9\"")] // raw UTF-8, then escaped
    [InlineData("\"a\\/b\"", "\"a/b\"")]
    public async Task One_jti_is_one_entry_however_it_is_escaped(string first, string second)
    {
        await using var api = await SecurityApi.StartAsync();
        using var key = TestKey.Create();
        string token = api.Token(key.Jkt);

        using var ok = await api.Client.SendAsync(SecurityApi.Request(Path, token, Proof(key, token, first)));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // A new signature over the same jti written otherwise: the same proof identifier, so a replay.
        using var replay = await api.Client.SendAsync(SecurityApi.Request(Path, token, Proof(key, token, second)));
        var problem = await Problem.AssertAsync(replay, "dpop-invalid", error: "invalid_dpop_proof");
        Assert.Contains("already", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
