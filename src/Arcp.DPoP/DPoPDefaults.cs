namespace Arcp.DPoP;

/// <summary>
/// Default values used by the DPoP authentication handler.
/// </summary>
public static class DPoPDefaults
{
    /// <summary>The default authentication scheme name, <c>DPoP</c>.</summary>
    public const string AuthenticationScheme = "DPoP";

    /// <summary>The default display name of the scheme.</summary>
    public const string DisplayName = "DPoP (RFC 9449)";

    /// <summary>The <c>Authorization</c> scheme of a DPoP-bound access token (RFC 9449 §7.1).</summary>
    public const string AuthorizationScheme = "DPoP";

    /// <summary>The <c>Authorization</c> scheme of a bearer token (RFC 6750).</summary>
    public const string BearerAuthorizationScheme = "Bearer";

    /// <summary>The request header that carries the DPoP proof (RFC 9449 §4.1).</summary>
    public const string ProofHeaderName = "DPoP";

    /// <summary>The response header that carries a server-provided nonce (RFC 9449 §8).</summary>
    public const string NonceHeaderName = "DPoP-Nonce";

    /// <summary>The <c>typ</c> JOSE header value of a DPoP proof (RFC 9449 §4.2).</summary>
    public const string ProofTokenType = "dpop+jwt";

    /// <summary>The claim type the handler adds to the principal with the RFC 7638 thumbprint the request proved.</summary>
    public const string JktClaimType = "jkt";

    /// <summary>The default claim type of <c>User.Identity.Name</c>: <c>name</c> (OpenID Connect), else <c>sub</c> when the token has no <c>name</c>.</summary>
    public const string NameClaimType = "name";

    /// <summary>The default role claim type: <c>role</c>, as ARCP tokens carry it (agent, admin, user).</summary>
    public const string RoleClaimType = "role";

    /// <summary>The configuration section the options bind from: <c>Authentication:Schemes:{scheme}</c>.</summary>
    public const string ConfigurationSectionPrefix = "Authentication:Schemes";

    /// <summary>The base of every problem <c>type</c> URI the handler writes.</summary>
    public const string ProblemTypeBaseUri = ArcpProblemNames.BaseUri;

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the handler reports to.</summary>
    public const string MeterName = "Arcp.DPoP";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> the handler traces with: one activity per authentication.</summary>
    public const string ActivitySourceName = "Arcp.DPoP";
}
