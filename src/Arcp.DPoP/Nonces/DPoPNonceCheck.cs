using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>The end of step 3, when <see cref="DPoPOptions.RequireNonce"/> is on: the proof carries a server nonce this API issued (RFC 9449 §9).</summary>
internal static class DPoPNonceCheck
{
    private static readonly DPoPFailure Missing = new(DPoPFailureCode.NonceRequired,
        "This API requires a server nonce in DPoP proofs (RFC 9449 §9): make a new proof whose nonce claim is the DPoP-Nonce response header's value.");

    private static readonly DPoPFailure Expired = new(DPoPFailureCode.NonceInvalid,
        "The DPoP proof's nonce has expired: make a new proof with the nonce from this response's DPoP-Nonce header.");

    private static readonly DPoPFailure Unknown = new(DPoPFailureCode.NonceInvalid,
        "The DPoP proof's nonce was not issued by this API (or by an instance with another Data Protection key ring): make a new proof with the nonce from this response's DPoP-Nonce header.");

    /// <summary>Null when the nonce is good; sets <see cref="ParsedProof.RenewNonce"/> when it is past half its life.</summary>
    public static async Task<DPoPFailure?> CheckAsync(IDPoPNonceService nonces, HttpContext context, string scheme, DPoPOptions options, ParsedProof parsed)
    {
        if (string.IsNullOrEmpty(parsed.Nonce))
        {
            return Missing;
        }

        switch (await nonces.ValidateNonceAsync(context, scheme, options, parsed.Nonce).ConfigureAwait(false))
        {
            case DPoPNonceValidation.Valid:
                return null;
            case DPoPNonceValidation.ValidRenew:
                parsed.RenewNonce = true;
                return null;
            case DPoPNonceValidation.Expired:
                return Expired;
            default:
                return Unknown;
        }
    }
}
