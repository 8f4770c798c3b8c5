using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>Step 5: the access token's confirmation claim, <c>cnf</c> (RFC 7800 §3.1), as far as DPoP binds it (RFC 9449 §6.1).</summary>
internal static class TokenConfirmation
{
    /// <summary>
    /// The token's <c>cnf.jkt</c>. A null value only for a token with no <c>cnf</c> at all (unbound); a <c>cnf</c> this
    /// API cannot check is a failure, never an unbound token (issue 11 item 3).
    /// </summary>
    public static DPoPResult<string?> ReadThumbprint(SecurityToken token)
    {
        if (token is not JsonWebToken jwt)
        {
            return default;
        }

        if (!jwt.TryGetPayloadValue("cnf", out JsonElement cnf))
        {
            // Present but not readable as JSON (a null): present, so not unbound.
            return HasClaim(jwt, "cnf") ? DPoPFailures.CnfNotObject : default(DPoPResult<string?>);
        }

        if (cnf.ValueKind != JsonValueKind.Object)
        {
            return DPoPFailures.CnfNotObject;
        }

        if (!cnf.TryGetProperty("jkt", out var jkt))
        {
            // Bound some other way (x5t#S256: a TLS client certificate, RFC 8705): this API can check only DPoP bindings.
            return DPoPFailures.CnfWithoutJkt;
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

                return DPoPFailures.CnfJktTwice;
            }

            return DPoPFailures.CnfOtherMethod(member.Name);
        }

        string? value = jkt.ValueKind == JsonValueKind.String ? jkt.GetString() : null;
        if (value is null || value.Length != 43 || !Base64UrlStrict.IsValid(value))
        {
            return DPoPFailures.CnfJktNotThumbprint;
        }

        return DPoPResult<string?>.Ok(value);
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
