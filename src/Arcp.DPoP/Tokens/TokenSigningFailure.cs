using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Explains a signature-stage failure of an access token (no key found, algorithm refused, signature invalid) when the
/// real cause is an algorithm or key type this API does not support, so the detail does not read "unknown kid" for a
/// key the issuer does publish.
/// </summary>
internal static class TokenSigningFailure
{
    /// <summary>The detail, or null when nothing about algorithms or key types explains the failure.</summary>
    /// <param name="token">The token, already known to be a parsable JWT or not.</param>
    /// <param name="configuration">The issuer metadata in use, if any.</param>
    /// <param name="parameters">The validation parameters (for the configured keys).</param>
    public static string? Describe(JsonWebToken? token, BaseConfiguration? configuration, TokenValidationParameters parameters)
    {
        if (token is null)
        {
            return null;
        }

        string alg = token.Alg;
        string kid = token.Kid;
        if (!IssuerSigningKeys.SupportedAlgorithms.Contains(alg, StringComparer.Ordinal))
        {
            return $"The access token is signed with alg '{QuotedValue.ForDetail(alg)}', which this API does not support " +
                $"(it verifies {string.Join(", ", IssuerSigningKeys.SupportedAlgorithms)}).";
        }

        if (alg.StartsWith("HS", StringComparison.Ordinal) && !HasSymmetricKey(parameters) && !(configuration?.SigningKeys.Any(k => k is SymmetricSecurityKey) ?? false))
        {
            return $"The access token is signed with alg '{alg}', a shared-secret algorithm, but this API has no shared secret configured " +
                "(SigningKeys); ask for a token signed with the issuer's published keys, or configure the issuer's secret.";
        }

        if (!string.IsNullOrEmpty(kid) && configuration is OpenIdConnectConfiguration { JsonWebKeySet: { } jwks })
        {
            var published = jwks.Keys.FirstOrDefault(k => string.Equals(k.Kid, kid, StringComparison.Ordinal));
            if (published is not null)
            {
                string? unusable = IssuerSigningKeys.DescribeUnusable(published);
                if (unusable is not null)
                {
                    return $"The issuer publishes key '{QuotedValue.ForDetail(kid)}' as {unusable}, which is not supported.";
                }

                if (!Fits(alg, published.Kty))
                {
                    return $"The access token's alg '{alg}' does not fit the issuer's key '{QuotedValue.ForDetail(kid)}' (kty '{QuotedValue.ForDetail(published.Kty)}').";
                }
            }
        }

        return null;
    }

    private static bool HasSymmetricKey(TokenValidationParameters parameters) =>
        parameters.IssuerSigningKey is SymmetricSecurityKey || (parameters.IssuerSigningKeys?.Any(k => k is SymmetricSecurityKey) ?? false);

    private static bool Fits(string alg, string kty) => alg[0] switch
    {
        'R' or 'P' => kty == "RSA",
        'E' when alg.StartsWith("ES", StringComparison.Ordinal) => kty == "EC",
        'E' => kty == "OKP",
        _ => kty == "oct",
    };
}
