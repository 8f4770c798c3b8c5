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
    /// Reads <c>Authorization: DPoP &lt;token&gt;</c> (or <c>Bearer</c>), unless an event <paramref name="supplied"/> the
    /// token (then a DPoP-scheme token). A value without a token when the request has no credentials of ours (none, or
    /// another scheme's); a failure when it has ours, malformed.
    /// </summary>
    public static DPoPResult<AuthorizationCredentials> ReadAuthorization(HttpRequest request, string? supplied)
    {
        if (!string.IsNullOrEmpty(supplied))
        {
            return DPoPResult<AuthorizationCredentials>.Ok(new(supplied.AsMemory(), dpopScheme: true));
        }

        StringValues values = request.Headers.Authorization;
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return default;
        }

        if (values.Count > 1)
        {
            return DPoPFailures.AuthorizationMultiple;
        }

        string header = values[0]!;
        int space = header.IndexOf(' ', StringComparison.Ordinal);
        ReadOnlySpan<char> scheme = space < 0 ? header : header.AsSpan(0, space);
        bool dpopScheme = scheme.Equals(DPoPDefaults.AuthorizationScheme, StringComparison.OrdinalIgnoreCase);
        if (!dpopScheme && !scheme.Equals(DPoPDefaults.BearerAuthorizationScheme, StringComparison.OrdinalIgnoreCase))
        {
            return default; // another scheme's credentials: not ours to judge
        }

        ReadOnlyMemory<char> value = space < 0 ? default : header.AsMemory(space + 1).Trim(' ');
        if (value.IsEmpty)
        {
            return DPoPFailures.AuthorizationEmpty(scheme);
        }

        if (!IsToken68(value.Span))
        {
            return DPoPFailures.AuthorizationNotToken68;
        }

        return DPoPResult<AuthorizationCredentials>.Ok(new(value, dpopScheme));
    }

    /// <summary>
    /// The one DPoP proof of the request (RFC 9449 §4.3 item 1): the event's <paramref name="supplied"/> proof when it
    /// supplied one, else the header's; a null value when there is none. Several headers, a comma-separated list or an
    /// empty header are failures.
    /// </summary>
    public static DPoPResult<string?> ReadProof(HttpRequest request, int maxProofLength, string? supplied)
    {
        string? proof = supplied;
        if (proof is null)
        {
            StringValues proofs = request.Headers[DPoPDefaults.ProofHeaderName];
            if (proofs.Count > 1)
            {
                return DPoPFailures.ProofHeaders(proofs.Count);
            }

            proof = proofs.Count == 1 ? proofs[0] : null;
        }

        // An over-long proof is refused by the validator by its length, without this scan.
        if (proof is not null && proof.Length <= maxProofLength && proof.Contains(',', StringComparison.Ordinal))
        {
            return DPoPFailures.ProofListed;
        }

        return proof is { Length: 0 } ? DPoPFailures.ProofHeaderEmpty : DPoPResult<string?>.Ok(proof);
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
