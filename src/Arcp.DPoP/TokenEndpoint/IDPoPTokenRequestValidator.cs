using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Validates the DPoP proof of a request to an authorization server's token endpoint (RFC 9449 §5), which carries no
/// access token: every check of RFC 9449 §4.3 the handler makes (structure, <c>typ</c>, <c>alg</c>, <c>jwk</c>,
/// signature, <c>htm</c>, <c>htu</c>, <c>iat</c>, <c>jti</c>; no <c>ath</c>), the server nonce through the same
/// <see cref="IDPoPNonceService"/> when the scheme has <see cref="DPoPOptions.RequireNonce"/>, and first use in the same
/// <see cref="IDPoPReplayCache"/> (a proof used here is refused by the API, and the other way round).
/// Registered by <c>AddDPoP()</c>; it uses the named scheme's options.
/// </summary>
/// <example>
/// <code>
/// app.MapPost("/token", async (HttpContext context, IDPoPTokenRequestValidator dpop) =>
/// {
///     var proof = await dpop.ValidateAsync(context);
///     if (!proof.Succeeded)
///     {
///         return proof.ToProblemResult(); // 400 invalid_dpop_proof / use_dpop_nonce (+ DPoP-Nonce), as RFC 9449 §5 and §8 say
///     }
///     // ... authenticate the client, then issue a token with cnf.jkt = proof.Jkt
/// });
/// </code>
/// </example>
public interface IDPoPTokenRequestValidator
{
    /// <summary>Validates the request's <c>DPoP</c> header with the options of the scheme <see cref="DPoPDefaults.AuthenticationScheme"/>.</summary>
    /// <param name="context">The token request. Cancellation follows <see cref="HttpContext.RequestAborted"/>.</param>
    /// <returns>The proved key's thumbprint, or the failure to answer with.</returns>
    ValueTask<DPoPTokenRequestResult> ValidateAsync(HttpContext context);

    /// <summary>Validates the request's <c>DPoP</c> header with the options of <paramref name="authenticationScheme"/>.</summary>
    /// <param name="context">The token request. Cancellation follows <see cref="HttpContext.RequestAborted"/>.</param>
    /// <param name="authenticationScheme">The DPoP scheme whose options (algorithms, lifetimes, nonce, origin) apply.</param>
    /// <returns>The proved key's thumbprint, or the failure to answer with.</returns>
    ValueTask<DPoPTokenRequestResult> ValidateAsync(HttpContext context, string authenticationScheme);
}
