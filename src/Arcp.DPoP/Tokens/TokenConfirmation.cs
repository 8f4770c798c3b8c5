using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>Step 5: the access token's confirmation claim, <c>cnf</c> (RFC 7800 §3.1), as far as DPoP binds it (RFC 9449 §6.1).</summary>
internal static class TokenConfirmation
{
    /// <summary>
    /// The token's <c>cnf.jkt</c>. Null without a failure only for a token with no <c>cnf</c> at all (unbound); a
    /// <c>cnf</c> this API cannot check is a failure, never an unbound token (issue 11 item 3).
    /// </summary>
    public static string? ReadThumbprint(SecurityToken token, out DPoPFailure? failure)
    {
        failure = null;
        if (token is not JsonWebToken jwt)
        {
            return null;
        }

        if (!jwt.TryGetPayloadValue("cnf", out JsonElement cnf))
        {
            if (HasClaim(jwt, "cnf"))
            {
                // Present but not readable as JSON (a null): present, so not unbound.
                failure = new(DPoPFailureCode.TokenInvalid, "The access token's cnf claim is not a JSON object (RFC 7800 §3.1), so this API cannot check its binding.");
            }

            return null;
        }

        if (cnf.ValueKind != JsonValueKind.Object)
        {
            failure = new(DPoPFailureCode.TokenInvalid, "The access token's cnf claim is not a JSON object (RFC 7800 §3.1), so this API cannot check its binding.");
            return null;
        }

        if (!cnf.TryGetProperty("jkt", out var jkt))
        {
            // Bound some other way (x5t#S256: a TLS client certificate, RFC 8705): this API can check only DPoP bindings.
            failure = new(DPoPFailureCode.TokenNotBound,
                "The access token is bound by a confirmation method this API cannot check (its cnf has no jkt, e.g. a certificate binding); ask the authorization server for a DPoP-bound token (cnf.jkt).");
            return null;
        }

        // cnf holds confirmation methods only (RFC 7800 §3.1; IANA lists jwk, jwe, jku, kid, x5t#S256, osc, jkt...). Any member
        // besides one jkt is a binding this API cannot check, named in any spelling: accepting the token on the jkt alone
        // would skip it. An allow-list, so a method registered tomorrow is refused too; a second jkt is ambiguous (the
        // issuer may have read the other one).
        int jktCount = 0;
        foreach (var member in cnf.EnumerateObject())
        {
            if (member.NameEquals("jkt"))
            {
                if (++jktCount == 1)
                {
                    continue;
                }

                failure = new(DPoPFailureCode.TokenInvalid, "The access token's cnf has jkt more than once, so its binding is ambiguous; ask the authorization server for a token with one cnf.jkt.");
                return null;
            }

            failure = new(DPoPFailureCode.TokenInvalid, $"The access token's cnf carries '{QuotedValue.ForDetail(member.Name)}' besides jkt, a confirmation method this API cannot check, so its binding cannot be verified in full; ask the authorization server for a token bound by cnf.jkt alone.");
            return null;
        }

        string? value = jkt.ValueKind == JsonValueKind.String ? jkt.GetString() : null;
        if (value is null || value.Length != 43 || !Base64UrlStrict.IsValid(value))
        {
            failure = new(DPoPFailureCode.TokenInvalid,
                "The access token's cnf.jkt is not a JWK SHA-256 thumbprint (a base64url string of 32 bytes, RFC 9449 §6.1), so this API cannot check its binding.");
            return null;
        }

        return value;
    }

    private static bool HasClaim(JsonWebToken jwt, string name)
    {
        foreach (var claim in jwt.Claims)
        {
            if (string.Equals(claim.Type, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
