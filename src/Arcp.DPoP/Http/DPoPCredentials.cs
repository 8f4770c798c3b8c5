using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Arcp.DPoP;

/// <summary>
/// Steps 1 and 2: the request's credentials as sent — the access token from <c>Authorization</c> (RFC 9449 §7.1) and the
/// proof from the <c>DPoP</c> header (RFC 9449 §4.3 item 1) — read strictly, before anything is validated.
/// </summary>
internal static class DPoPCredentials
{
    /// <summary>
    /// Reads <c>Authorization: DPoP &lt;token&gt;</c> (or <c>Bearer</c>). False when the request has no credentials
    /// of ours (none, or another scheme's); true with <paramref name="failure"/> set when it has ours, malformed.
    /// The token is a slice of the header: a cached token is never copied into a string of its own (issue 14).
    /// </summary>
    public static bool TryReadAuthorization(HttpRequest request, out ReadOnlyMemory<char> token, out bool dpopScheme, out DPoPFailure? failure)
    {
        token = default;
        dpopScheme = false;
        failure = null;
        StringValues values = request.Headers.Authorization;
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return false;
        }

        if (values.Count > 1)
        {
            failure = new(DPoPFailureCode.AuthorizationMalformed, "The request has more than one Authorization header; send exactly one: 'Authorization: DPoP <access token>'.");
            return true;
        }

        string header = values[0]!;
        int space = header.IndexOf(' ', StringComparison.Ordinal);
        ReadOnlySpan<char> scheme = space < 0 ? header : header.AsSpan(0, space);
        if (scheme.Equals(DPoPDefaults.AuthorizationScheme, StringComparison.OrdinalIgnoreCase))
        {
            dpopScheme = true;
        }
        else if (!scheme.Equals(DPoPDefaults.BearerAuthorizationScheme, StringComparison.OrdinalIgnoreCase))
        {
            return false; // another scheme's credentials: not ours to judge
        }

        ReadOnlyMemory<char> value = space < 0 ? default : header.AsMemory(space + 1).Trim(' ');
        if (value.IsEmpty)
        {
            failure = new(DPoPFailureCode.AuthorizationMalformed, $"The Authorization header has no access token after '{scheme}'; send 'Authorization: DPoP <access token>'.");
            return true;
        }

        if (!IsToken68(value.Span))
        {
            failure = new(DPoPFailureCode.AuthorizationMalformed, "The access token in the Authorization header has characters a token68 cannot have (RFC 9449 §7.1, RFC 7235 §2.1).");
            return true;
        }

        token = value;
        return true;
    }

    /// <summary>
    /// The one DPoP proof of the request (RFC 9449 §4.3 item 1): <paramref name="proof"/> is the event's proof when it
    /// supplied one, else the header's; null when there is none. Several headers, a comma-separated list or an empty
    /// header are failures.
    /// </summary>
    public static DPoPFailure? ReadProof(HttpRequest request, int maxProofLength, ref string? proof)
    {
        if (proof is null)
        {
            StringValues proofs = request.Headers[DPoPDefaults.ProofHeaderName];
            if (proofs.Count > 1)
            {
                return new(DPoPFailureCode.ProofMultiple, FormattableString.Invariant(
                    $"The request has {proofs.Count} DPoP headers; send exactly one DPoP proof per request."));
            }

            proof = proofs.Count == 1 ? proofs[0] : null;
        }

        if (proof is null)
        {
            return null;
        }

        // An over-long proof is refused by the validator by its length, without this scan.
        if (proof.Length <= maxProofLength && proof.Contains(',', StringComparison.Ordinal))
        {
            return new(DPoPFailureCode.ProofMultiple,
                "The DPoP header holds more than one value (comma-separated); send exactly one DPoP proof per request.");
        }

        return proof.Length == 0 ? new(DPoPFailureCode.ProofMalformed, "The DPoP header is empty; it must carry a DPoP proof JWT.") : null;
    }

    // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
    private static bool IsToken68(ReadOnlySpan<char> value)
    {
        int end = value.Length;
        while (end > 0 && value[end - 1] == '=')
        {
            end--;
        }

        if (end == 0)
        {
            return false;
        }

        foreach (char c in value[..end])
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.' && c != '_' && c != '~' && c != '+' && c != '/')
            {
                return false;
            }
        }

        return true;
    }
}
