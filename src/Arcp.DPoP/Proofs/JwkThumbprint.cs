using System.Text.Json;

namespace Arcp.DPoP;

/// <summary>
/// JSON Web Key thumbprints (RFC 7638) with SHA-256, as used by <c>cnf.jkt</c> (RFC 9449 §6.1).
/// </summary>
public static class JwkThumbprint
{
    /// <summary>Computes the base64url SHA-256 thumbprint of a public JWK given as JSON.</summary>
    /// <param name="jwkJson">The JWK, a JSON object with at least the members RFC 7638 §3.2 requires for its <c>kty</c>.</param>
    /// <returns>The thumbprint, 43 base64url characters.</returns>
    /// <exception cref="FormatException">The JSON is not a JWK of type EC, RSA, OKP or oct with its required members.</exception>
    public static string Compute(string jwkJson)
    {
        ArgumentNullException.ThrowIfNull(jwkJson);
        try
        {
            using var document = JsonDocument.Parse(jwkJson);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A JWK must be a JSON object.");
            }

            string kty = RequiredMember(root, "kty");
            return kty switch
            {
                "EC" => Compute(kty, crv: RequiredMember(root, "crv"), x: RequiredMember(root, "x"), y: RequiredMember(root, "y")),
                "RSA" => Compute(kty, e: RequiredMember(root, "e"), n: RequiredMember(root, "n")),
                "OKP" => Compute(kty, crv: RequiredMember(root, "crv"), x: RequiredMember(root, "x")),
                "oct" => Compute(kty, k: RequiredMember(root, "k")),
                _ => throw new FormatException($"JWK key type '{kty}' has no RFC 7638 thumbprint definition."),
            };
        }
        catch (JsonException)
        {
            throw new FormatException("The JWK is not valid JSON.");
        }
    }

    /// <summary>Computes the thumbprint of an elliptic-curve public key (<c>kty</c> EC).</summary>
    /// <param name="crv">The curve name, e.g. <c>P-256</c>.</param>
    /// <param name="x">The base64url x coordinate.</param>
    /// <param name="y">The base64url y coordinate.</param>
    public static string ComputeEC(string crv, string x, string y) => Compute("EC", crv: crv, x: x, y: y);

    /// <summary>Computes the thumbprint of an RSA public key (<c>kty</c> RSA).</summary>
    /// <param name="e">The base64url public exponent.</param>
    /// <param name="n">The base64url modulus.</param>
    public static string ComputeRsa(string e, string n) => Compute("RSA", e: e, n: n);

    private static string RequiredMember(JsonElement jwk, string name)
    {
        if (!jwk.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new FormatException($"The JWK has no string member '{name}'.");
        }

        return value.GetString()!;
    }

    internal static string Compute(string kty, string? crv = null, string? e = null, string? k = null, string? n = null, string? x = null, string? y = null) =>
        JwkThumbprintCore.Compute(kty, crv, e, k, n, x, y);
}
