using System.Text;

namespace Arcp.DPoP;

/// <summary>The <c>WWW-Authenticate: DPoP</c> challenge of a refusal (RFC 9449 §7.1, RFC 6750 §3).</summary>
internal static class DPoPChallenge
{
    /// <summary>Why a request with no credentials of ours is challenged.</summary>
    public static readonly DPoPFailure NoCredentials = new(DPoPFailureCode.NoCredentials,
        "The request has no access token. Send 'Authorization: DPoP <access token>' and a DPoP proof in the 'DPoP' header (RFC 9449 §7.1).");

    /// <summary>Why a request refused by something other than this handler (another failure type) is challenged.</summary>
    public static readonly DPoPFailure NotAuthenticated = new(DPoPFailureCode.TokenInvalid, "The request could not be authenticated.");

    /// <summary>Why an authenticated request the authorization policy refuses is answered 403.</summary>
    public static readonly DPoPFailure Forbidden = new(DPoPFailureCode.Forbidden,
        "The access token and DPoP proof are valid, but this API's authorization policy does not allow this request (for example a missing scope or role).");

    /// <summary>
    /// RFC 9449 §7.1: <c>DPoP error="...", error_description="...", algs="..."</c>, and
    /// <c>resource_metadata="..."</c> when the scheme's protected resource metadata is mapped (RFC 9728 §5.1).
    /// </summary>
    public static string Build(string? error, string? errorDescription, string allowedAlgorithms, string? resourceMetadata = null)
    {
        var builder = new StringBuilder(DPoPDefaults.AuthorizationScheme);
        char separator = ' ';
        if (!string.IsNullOrEmpty(error))
        {
            builder.Append(separator).Append("error=\"").Append(QuotedValue.ForHeader(error)).Append('"');
            separator = ',';
            if (!string.IsNullOrEmpty(errorDescription))
            {
                builder.Append(", error_description=\"").Append(QuotedValue.ForHeader(errorDescription)).Append('"');
            }
        }

        builder.Append(separator == ' ' ? " " : ", ").Append("algs=\"").Append(allowedAlgorithms).Append('"');
        AppendResourceMetadata(builder, ", ", resourceMetadata);
        return builder.ToString();
    }

    /// <summary>The <c>Bearer</c> challenge of Mode Allowed (RFC 6750 §3), with <c>resource_metadata</c> when mapped (RFC 9728 §5.1).</summary>
    public static string BuildBearer(string? resourceMetadata)
    {
        if (resourceMetadata is null)
        {
            return DPoPDefaults.BearerAuthorizationScheme;
        }

        var builder = new StringBuilder(DPoPDefaults.BearerAuthorizationScheme);
        AppendResourceMetadata(builder, " ", resourceMetadata);
        return builder.ToString();
    }

    private static void AppendResourceMetadata(StringBuilder builder, string separator, string? resourceMetadata)
    {
        if (resourceMetadata is not null)
        {
            builder.Append(separator).Append("resource_metadata=\"").Append(QuotedValue.ForHeader(resourceMetadata)).Append('"');
        }
    }
}
