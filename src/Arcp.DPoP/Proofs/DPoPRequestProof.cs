using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Step 3, shared by the handler and the token endpoint validator: the htu's origin must be
/// <see cref="DPoPOptions.PublicOrigin"/> or a Host the application vouches for (issue 11 item 2), then the
/// validator's checks that cost no signature (RFC 9449 §4.3), then the server nonce when one is required (§9).
/// </summary>
internal static class DPoPRequestProof
{
    public static async ValueTask<DPoPResult<ParsedProof>> CheckAsync(
        DPoPSchemeState state, HttpContext context, string scheme, DPoPOptions options, IDPoPNonceService nonces, string proof, ReadOnlyMemory<char>? token)
    {
        var request = context.Request;
        if (state.HostPolicy is not { } hostPolicy || !hostPolicy.Allows(request.Host, request.Scheme, context.Connection.LocalPort))
        {
            return DPoPFailures.HostNotServed(request.Host.Value);
        }

        var parsed = Parse(state, request, proof, token);
        return parsed.Value is { } checkedProof && options.RequireNonce
            ? await DPoPNonceCheck.CheckAsync(nonces, context, scheme, options, checkedProof).ConfigureAwait(false) ?? parsed
            : parsed;
    }

    // The expected htu is written on the stack and compared there: a string of it is made only when it is not already
    // in normal form (then normalised first, as before: an unusable request URI is still the first failure) or for a
    // failure's detail (issue 14).
    private static DPoPResult<ParsedProof> Parse(DPoPSchemeState state, HttpRequest request, string proof, ReadOnlyMemory<char>? token)
    {
        Span<char> buffer = stackalloc char[512];
        if (ExpectedHtu.TryWrite(request, state.Validator.PublicOrigin, buffer, out int length) && HtuNormalizer.IsAlreadyNormal(buffer[..length]))
        {
            return state.Validator.Parse(proof, request.Method, buffer[..length], token);
        }

        var htu = state.Validator.RequestHtu(request);
        return htu.Value is { } expectedHtu ? state.Validator.Parse(proof, request.Method, expectedHtu, token) : htu.Failure!;
    }
}
