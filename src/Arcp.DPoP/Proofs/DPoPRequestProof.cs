using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Step 3 without the nonce, shared by the handler and the token endpoint validator: the htu's origin must be
/// <see cref="DPoPOptions.PublicOrigin"/> or a Host the application vouches for (issue 11 item 2), then the
/// validator's checks that cost no signature (RFC 9449 §4.3).
/// </summary>
internal static class DPoPRequestProof
{
    public static DPoPFailure? Parse(DPoPSchemeState state, HttpRequest request, string proof, string? token, out ParsedProof? parsed)
    {
        parsed = null;
        if (state.HostPolicy is not { } hostPolicy || !hostPolicy.Allows(request.Host, request.Scheme, request.HttpContext.Connection.LocalPort))
        {
            return new(DPoPFailureCode.HtuMismatch, $"The request's Host '{QuotedValue.ForDetail(request.Host.Value)}' is not one this API serves, so no htu can match; send the request to this API's own address.");
        }

        if (!state.Validator.TryGetRequestHtu(request, out string expectedHtu, out var htuFailure))
        {
            return htuFailure;
        }

        parsed = state.Validator.Parse(proof, request.Method, expectedHtu, token, out var proofFailure);
        return parsed is null ? proofFailure : null;
    }
}
