using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>The end of step 3, when <see cref="DPoPOptions.RequireNonce"/> is on: the proof carries a server nonce this API issued (RFC 9449 §9).</summary>
internal static class DPoPNonceCheck
{
    /// <summary>Null when the nonce is good; sets <see cref="ParsedProof.RenewNonce"/> when it is past half its life.</summary>
    public static async Task<DPoPFailure?> CheckAsync(IDPoPNonceService nonces, HttpContext context, string scheme, DPoPOptions options, ParsedProof parsed)
    {
        if (string.IsNullOrEmpty(parsed.Nonce))
        {
            return DPoPFailures.NonceMissing;
        }

        switch (await nonces.ValidateNonceAsync(context, scheme, options, parsed.Nonce).ConfigureAwait(false))
        {
            case DPoPNonceValidation.Valid:
                return null;
            case DPoPNonceValidation.ValidRenew:
                parsed.RenewNonce = true;
                return null;
            case DPoPNonceValidation.Expired:
                return DPoPFailures.NonceExpired;
            default:
                return DPoPFailures.NonceUnknown;
        }
    }
}
