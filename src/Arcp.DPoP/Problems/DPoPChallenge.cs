using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Arcp.DPoP;

/// <summary>The <c>WWW-Authenticate: DPoP</c> challenge of a refusal (RFC 9449 §7.1, RFC 6750 §3).</summary>
internal static class DPoPChallenge
{
    /// <summary>
    /// The response headers of a refusal: a 503 (not a credential problem) gets no challenge, only when to come back
    /// (<c>Retry-After</c>); any other gets the DPoP challenge, a Bearer one too for a request without credentials in
    /// mode Allowed, and the next server nonce when one is required (RFC 9449 §9: every 401 carries one).
    /// </summary>
    /// <remarks>Both challenges carry <c>resource_metadata</c> when the scheme's metadata is mapped (RFC 9728 §5.1).</remarks>
    public static void WriteHeaders(HttpResponse response, DPoPFailure failure, DPoPChallengeContext challenge, string allowedAlgorithms, string? nonce, string? resourceMetadata = null)
    {
        var options = challenge.Options;
        if (IsUnavailable(failure))
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(options.ReplayCheckRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return;
        }

        response.Headers.Append(HeaderNames.WWWAuthenticate, Build(challenge.Error, challenge.ErrorDescription, allowedAlgorithms, resourceMetadata));
        if (options.Mode == DPoPMode.Allowed && failure.Code == DPoPFailureCode.NoCredentials)
        {
            response.Headers.Append(HeaderNames.WWWAuthenticate, BuildBearer(resourceMetadata));
        }

        if (nonce is not null)
        {
            response.Headers[DPoPDefaults.NonceHeaderName] = nonce;
        }
    }

    /// <summary>Whether the refusal is the service's (503), not the credentials'.</summary>
    public static bool IsUnavailable(DPoPFailure failure) => failure.ProblemType.Status == StatusCodes.Status503ServiceUnavailable;

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
