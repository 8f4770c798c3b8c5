using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// What Microsoft.IdentityModel leaves out of an issuer's JWKS: it reads RSA and EC keys into
/// <see cref="OpenIdConnectConfiguration.SigningKeys"/> and silently drops <c>OKP</c> keys (RFC 8037). This adds each
/// Ed25519 key as an <see cref="Ed25519SecurityKey"/>, and says, for a failure's detail, why a published key is unusable.
/// </summary>
internal static class IssuerSigningKeys
{
    /// <summary>The JWS algorithms an access token may be signed with here (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864).</summary>
    public static readonly string[] SupportedAlgorithms =
        ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519", "HS256", "HS384", "HS512"];

    /// <summary>Adds the configuration's usable Ed25519 JWKs to its signing keys (once: a key already added is not added again).</summary>
    public static void AddOkpKeys(OpenIdConnectConfiguration configuration)
    {
        if (configuration.JsonWebKeySet is null)
        {
            return;
        }

        foreach (var jwk in configuration.JsonWebKeySet.Keys)
        {
            if (!string.Equals(jwk.Kty, "OKP", StringComparison.Ordinal) || DescribeUnusable(jwk) is not null)
            {
                continue;
            }

            // Once per key: the same kid and the same public key (kid-less keys are told apart by their key).
            if (configuration.SigningKeys.Any(k => k is Ed25519SecurityKey ed && string.Equals(ed.KeyId, jwk.Kid, StringComparison.Ordinal) &&
                string.Equals(ed.X, jwk.X, StringComparison.Ordinal)))
            {
                continue;
            }

            if (TryCreateEd25519(jwk) is { } key)
            {
                configuration.SigningKeys.Add(key);
            }
        }
    }

    private static Ed25519SecurityKey? TryCreateEd25519(JsonWebKey jwk)
    {
        Span<byte> x = stackalloc byte[32];
        return !string.IsNullOrEmpty(jwk.X) && Base64UrlStrict.TryDecode(jwk.X, x, out int length) && length == 32
            ? Ed25519SecurityKey.TryCreate(x, jwk.Kid, jwk.X)
            : null;
    }

    /// <summary>Why this JWK cannot verify access tokens here, in words for a problem detail; null when it can.</summary>
    public static string? DescribeUnusable(JsonWebKey jwk)
    {
        string kty = QuotedValue.ForDetail(jwk.Kty);
        if (!string.IsNullOrEmpty(jwk.Use) && !string.Equals(jwk.Use, "sig", StringComparison.Ordinal))
        {
            return $"kty '{kty}' with use '{QuotedValue.ForDetail(jwk.Use)}' (not a signing key)";
        }

        switch (jwk.Kty)
        {
            case "RSA":
                return null;
            case "EC":
                return jwk.Crv is "P-256" or "P-384" or "P-521" ? null : $"kty 'EC' crv '{QuotedValue.ForDetail(jwk.Crv)}'";
            case "OKP":
                if (!string.Equals(jwk.Crv, "Ed25519", StringComparison.Ordinal))
                {
                    return $"kty 'OKP' crv '{QuotedValue.ForDetail(jwk.Crv)}'";
                }

                if (!string.IsNullOrEmpty(jwk.D))
                {
                    return "kty 'OKP' crv 'Ed25519' with its private part ('d'), which an issuer must never publish";
                }

                if (!string.IsNullOrEmpty(jwk.Alg) && !Ed25519SecurityKey.IsEd25519Algorithm(jwk.Alg))
                {
                    return $"kty 'OKP' crv 'Ed25519' with alg '{QuotedValue.ForDetail(jwk.Alg)}'";
                }

                if (TryCreateEd25519(jwk) is null)
                {
                    return "kty 'OKP' crv 'Ed25519' with an 'x' that is not a 32-byte Ed25519 public key";
                }

                return null;
            default:
                return $"kty '{kty}'";
        }
    }
}
