namespace Arcp.DPoP;

/// <summary>
/// The ARCP problem type URIs (RFC 9457 <c>type</c>) that the server writes and the client reads, shared as source by
/// both libraries so the two can never disagree on a slug.
/// </summary>
internal static class ArcpProblemNames
{
    /// <summary>The base every problem type URI starts with; the slug follows it.</summary>
    public const string BaseUri = "https://arcp.0x001.tech/docs/problems/";

    public const string DPoPRequired = "dpop-required";

    public const string DPoPInvalid = "dpop-invalid";

    public const string BindingMismatch = "dpop-binding-mismatch";

    public const string TokenNotDPoPBound = "token-not-dpop-bound";

    public const string AuthenticationFailed = "authentication-failed";

    public const string InsufficientPermissions = "insufficient-permissions";

    public const string ServiceUnavailable = "service-unavailable";
}
