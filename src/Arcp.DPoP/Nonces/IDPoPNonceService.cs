using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Issues and checks server-provided nonces (RFC 9449 §8 and §9), used when <see cref="DPoPOptions.RequireNonce"/> is on.
/// The default, <see cref="DataProtectionDPoPNonceService"/>, is stateless: every instance sharing the Data Protection
/// key ring accepts every other's nonces.
/// </summary>
/// <remarks>
/// A nonce belongs to one authentication scheme: a nonce one scheme handed out must not pass another scheme's check,
/// even in the same application.
/// </remarks>
public interface IDPoPNonceService
{
    /// <summary>The nonce to give clients now, in the <c>DPoP-Nonce</c> response header.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The authentication scheme the nonce is for.</param>
    /// <param name="options">The scheme's options (<see cref="DPoPOptions.NonceLifetime"/>, the time provider).</param>
    ValueTask<string> GetNonceAsync(HttpContext context, string scheme, DPoPOptions options);

    /// <summary>Checks the nonce a proof carries.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The authentication scheme checking the proof: only its own nonces are valid.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="nonce">The proof's <c>nonce</c> claim.</param>
    ValueTask<DPoPNonceValidation> ValidateNonceAsync(HttpContext context, string scheme, DPoPOptions options, string nonce);
}
