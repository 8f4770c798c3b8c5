using System.Text.Json;

namespace Arcp.DPoP.Client;

/// <summary>
/// An RFC 9457 problem document as Arcp.DPoP (and ARCP) servers write it, so an agent can branch on what went
/// wrong: <c>if (problem.Slug == DPoPProblem.BindingMismatch) ...</c>.
/// </summary>
public sealed class DPoPProblem
{
    /// <summary>The base of ARCP problem type URIs.</summary>
    public const string TypeBaseUri = ArcpProblemNames.BaseUri;

    /// <summary><c>dpop-required</c>: the token is bound but no proof came.</summary>
    public const string DPoPRequired = ArcpProblemNames.DPoPRequired;

    /// <summary><c>dpop-invalid</c>: the proof failed a check (see <see cref="Detail"/>); <see cref="Error"/> <c>use_dpop_nonce</c> asks for the server's nonce.</summary>
    public const string DPoPInvalid = ArcpProblemNames.DPoPInvalid;

    /// <summary><c>dpop-binding-mismatch</c>: the proof's key is not the token's; get a token for this key.</summary>
    public const string BindingMismatch = ArcpProblemNames.BindingMismatch;

    /// <summary><c>token-not-dpop-bound</c>: the token has no <c>cnf.jkt</c>.</summary>
    public const string TokenNotDPoPBound = ArcpProblemNames.TokenNotDPoPBound;

    /// <summary><c>authentication-failed</c>: the access token itself failed (expired, wrong audience...).</summary>
    public const string AuthenticationFailed = ArcpProblemNames.AuthenticationFailed;

    /// <summary><c>service-unavailable</c>: the server cannot check proofs now; retry after <c>Retry-After</c>.</summary>
    public const string ServiceUnavailable = ArcpProblemNames.ServiceUnavailable;

    /// <summary>The <c>type</c> URI.</summary>
    public string? Type { get; init; }

    /// <summary>The last segment of an ARCP <see cref="Type"/>, e.g. <c>dpop-binding-mismatch</c>.</summary>
    public string? Slug => Type is not null && Type.StartsWith(TypeBaseUri, StringComparison.Ordinal) ? Type[TypeBaseUri.Length..] : null;

    /// <summary>The <c>title</c>.</summary>
    public string? Title { get; init; }

    /// <summary>The <c>status</c>.</summary>
    public int? Status { get; init; }

    /// <summary>The <c>detail</c>: which check failed, and what to do.</summary>
    public string? Detail { get; init; }

    /// <summary>The <c>instance</c>: the request path.</summary>
    public string? Instance { get; init; }

    /// <summary>The <c>timestamp</c>.</summary>
    public string? Timestamp { get; init; }

    /// <summary>The <c>request_id</c>: quote it to the API's operators, it is in their log line.</summary>
    public string? RequestId { get; init; }

    /// <summary>The <c>error</c>: the RFC 6750/9449 code, e.g. <c>invalid_dpop_proof</c>, <c>use_dpop_nonce</c>.</summary>
    public string? Error { get; init; }

    /// <summary>For a key mismatch: the thumbprint the token is bound to.</summary>
    public string? ExpectedJkt { get; init; }

    /// <summary>For a key mismatch: the thumbprint of the key that signed the proof.</summary>
    public string? ActualJkt { get; init; }

    /// <summary>
    /// The <c>resource_metadata</c> of the response's <c>WWW-Authenticate: DPoP</c> (or <c>Bearer</c>) challenge
    /// (RFC 9728 §5.1): where the API publishes which authorization servers and proof algorithms it accepts. Read it
    /// with <see cref="DPoPResourceMetadata.GetFromAsync"/>, which checks that the
    /// document describes the resource asked about. Set by <see cref="ReadAsync"/>; <see langword="null"/> when absent.
    /// </summary>
    public Uri? ResourceMetadata { get; init; }

    /// <summary>Parses a problem document; <see langword="null"/> when the JSON is not one.</summary>
    /// <param name="json">The response body.</param>
    public static DPoPProblem? Parse(string json) => Parse(json, resourceMetadata: null);

    private static DPoPProblem? Parse(string json, Uri? resourceMetadata)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out _))
            {
                return null;
            }

            return new DPoPProblem
            {
                Type = Text(root, "type"),
                Title = Text(root, "title"),
                Status = root.TryGetProperty("status", out var status) && status.TryGetInt32(out int value) ? value : null,
                Detail = Text(root, "detail"),
                Instance = Text(root, "instance"),
                Timestamp = Text(root, "timestamp"),
                RequestId = Text(root, "request_id"),
                Error = Text(root, "error"),
                ExpectedJkt = Text(root, "expected_jkt"),
                ActualJkt = Text(root, "actual_jkt"),
                ResourceMetadata = resourceMetadata,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null; // InvalidOperationException: a string escape that is not UTF-16 ("\uD800"), which GetString() refuses
        }
    }

    /// <summary>Reads the problem document of a response; <see langword="null"/> when it has none.</summary>
    /// <param name="response">The response.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    public static async Task<DPoPProblem?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Content.Headers.ContentType?.MediaType is not "application/problem+json")
        {
            return null;
        }

        Uri? resourceMetadata = ChallengeParameters.Find(response, "resource_metadata", "DPoP", "Bearer") is { } url &&
            Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed : null;
        return Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), resourceMetadata);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Status} {Slug ?? Type}: {Detail} (request_id {RequestId})";

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
