using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Steps 5 and 6: how the access token is bound to the proof's key (RFC 9449 §6.1, §7.2), and the <c>jkt</c> claim that
/// tells the application which key this request proved.
/// </summary>
internal static class DPoPBinding
{
    /// <summary>
    /// Whether the token, the Authorization scheme and the presence of a proof fit together (RFC 9449 §7.2): a bound
    /// token needs its proof and the DPoP scheme; an unbound token is accepted only as a Bearer token in mode Allowed.
    /// </summary>
    public static DPoPFailure? CheckPresentation(string? jkt, bool hasProof, bool dpopScheme, DPoPOptions options)
    {
        if (jkt is null)
        {
            if (dpopScheme || options.Mode == DPoPMode.Required)
            {
                return dpopScheme ? DPoPFailures.UnboundWithDPoPScheme : DPoPFailures.UnboundNotAccepted;
            }
        }
        else if (!hasProof)
        {
            // RFC 9449 §7.2: a bound token downgraded to Bearer, or sent without its proof, is refused.
            return dpopScheme ? DPoPFailures.BoundWithoutProof : DPoPFailures.BoundAsBearer;
        }
        else if (!dpopScheme && !options.AllowBearerWithProof)
        {
            // RFC 9449 §7.2 to the letter (AllowBearerWithProof off): a bound token is never a Bearer token, proof or not.
            return DPoPFailures.BoundAsBearerWithProof;
        }

        return null;
    }

    /// <summary>
    /// thumbprint(proof jwk) == cnf.jkt, compared in fixed time (RFC 9449 §6.1). It costs one hash, so a proof signed
    /// with a key the token is not bound to never costs a public-key operation.
    /// </summary>
    public static DPoPFailure? CheckThumbprint(string proofJkt, string tokenJkt) =>
        FixedTimeEquals(proofJkt, tokenJkt) ? null : DPoPFailures.BindingMismatch(tokenJkt, proofJkt);

    /// <summary>
    /// The principal's <c>jkt</c> is the thumbprint this request proved, and only that: neither the token's claims nor
    /// an event's principal may bring one (issue 11 item 16).
    /// </summary>
    public static void RemoveJktClaims(ClaimsPrincipal principal)
    {
        foreach (var identity in principal.Identities)
        {
            RemoveJktClaims(identity);
        }
    }

    /// <summary>The principal's one <c>jkt</c> claim: the thumbprint this request proved, or none for a bearer token.</summary>
    public static void SetJktClaim(ClaimsPrincipal principal, string? jkt, string issuer)
    {
        RemoveJktClaims(principal);
        if (jkt is not null && principal.Identity is ClaimsIdentity identity)
        {
            identity.AddClaim(new Claim(DPoPDefaults.JktClaimType, jkt, ClaimValueTypes.String, issuer));
        }
    }

    /// <inheritdoc cref="RemoveJktClaims(ClaimsPrincipal)"/>
    public static void RemoveJktClaims(ClaimsIdentity identity)
    {
        if (!MayHaveJktClaim(identity))
        {
            return; // the usual case, found without allocating
        }

        foreach (var claim in identity.FindAll(DPoPDefaults.JktClaimType).ToList())
        {
            identity.TryRemoveClaim(claim);
        }
    }

    // Case-insensitive, as ClaimsIdentity.FindAll is (CaseSensitiveClaimsIdentity's is ordinal, a subset): never says
    // no when FindAll would find one. ClaimsIdentity hands out its list when it holds no external claims.
    private static bool MayHaveJktClaim(ClaimsIdentity identity)
    {
        if (identity.Claims is not List<Claim> claims)
        {
            return identity.FindFirst(DPoPDefaults.JktClaimType) is not null;
        }

        foreach (var claim in claims)
        {
            if (string.Equals(claim.Type, DPoPDefaults.JktClaimType, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FixedTimeEquals(string left, string right) =>
        left.Length == right.Length &&
        CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(left.AsSpan()), MemoryMarshal.AsBytes(right.AsSpan()));
}
