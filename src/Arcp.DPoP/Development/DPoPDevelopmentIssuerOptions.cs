namespace Arcp.DPoP.Development;

/// <summary>
/// Options of the development issuer added by
/// <see cref="Microsoft.Extensions.DependencyInjection.DPoPDevelopmentIssuerExtensions.AddDevelopmentIssuer(Microsoft.AspNetCore.Authentication.AuthenticationBuilder, System.Action{DPoPDevelopmentIssuerOptions})"/>.
/// The issuer exists only when the host environment is Development; nothing here can turn it on anywhere else.
/// </summary>
public sealed class DPoPDevelopmentIssuerOptions
{
    /// <summary>The DPoP scheme that trusts the issuer's tokens. Default <see cref="DPoPDefaults.AuthenticationScheme"/>.</summary>
    public string AuthenticationScheme { get; set; } = DPoPDefaults.AuthenticationScheme;

    /// <summary>
    /// The path the issuer lives under; default <c>/dev-issuer</c>. Its issuer identifier is the request's origin (or
    /// the scheme's <see cref="DPoPOptions.PublicOrigin"/>) plus this path; it serves <c>{Path}/token</c>,
    /// <c>{Path}/jwks</c>, <c>{Path}/.well-known/openid-configuration</c> and
    /// <c>/.well-known/oauth-authorization-server{Path}</c> (RFC 8414 §3).
    /// </summary>
    public string Path { get; set; } = "/dev-issuer";

    /// <summary>
    /// The file holding the issuer's P-256 signing key (PKCS#8 PEM), made on first use and kept across restarts.
    /// Default: <c>.arcp-dpop-dev/signing-key.pem</c> under the application's content root; the folder gets a
    /// <c>.gitignore</c> that ignores it, and on Unix the folder is 0700 and the file 0600. A relative path is
    /// relative to the content root.
    /// </summary>
    public string? KeyPath { get; set; }

    /// <summary>How long issued tokens live; default 10 minutes, at most 24 hours.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The <c>aud</c> of issued tokens. Default: the scheme's <see cref="DPoPOptions.Audience"/> (or its first valid
    /// audience); when the scheme has none, the application name, which then becomes the scheme's audience.
    /// </summary>
    public string? Audience { get; set; }

    /// <summary>The scopes a token request may ask for (<c>scope</c>); empty (the default): any scope.</summary>
    public ICollection<string> AllowedScopes { get; } = [];

    /// <summary>The <c>scope</c> of a token when the request asks for none; default none.</summary>
    public string? DefaultScope { get; set; }

    /// <summary>The roles a token request may ask for (<c>role</c>, space-separated); empty (the default): any role.</summary>
    public ICollection<string> AllowedRoles { get; } = [];

    /// <summary>The <c>role</c> claim of a token when the request asks for none; default none.</summary>
    public ICollection<string> DefaultRoles { get; } = [];
}
