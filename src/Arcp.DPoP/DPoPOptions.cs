using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// Options of the DPoP authentication scheme. They bind from configuration
/// <c>Authentication:Schemes:{scheme}</c> (for example <c>Authentication:Schemes:DPoP:Authority</c>), as JwtBearer's do.
/// </summary>
public class DPoPOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// The algorithms allowed by default for DPoP proofs: every asymmetric JWS algorithm this library verifies, Ed25519
    /// first (ARCP recommends it): <c>EdDSA</c> (RFC 8037) and its fully-specified name <c>Ed25519</c> (RFC 9864).
    /// </summary>
    public static IReadOnlyList<string> DefaultAllowedAlgorithms { get; } =
        [
            DPoPAlgorithmNames.EdDSA, DPoPAlgorithmNames.Ed25519,
            DPoPAlgorithmNames.ES256, DPoPAlgorithmNames.ES384, DPoPAlgorithmNames.ES512,
            DPoPAlgorithmNames.PS256, DPoPAlgorithmNames.PS384, DPoPAlgorithmNames.PS512,
            DPoPAlgorithmNames.RS256, DPoPAlgorithmNames.RS384, DPoPAlgorithmNames.RS512,
        ];

    /// <summary>Creates the options with their defaults.</summary>
    public DPoPOptions()
    {
        Events = new DPoPEvents();
    }

    /// <summary>
    /// The access token issuer (OpenID Connect / OAuth authorization server). Its metadata
    /// (<c>{Authority}/.well-known/openid-configuration</c>) supplies the issuer and the signing keys.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>The metadata address, when it is not <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Whether the metadata address must use https. Default <see langword="true"/>; turn off only in development.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The audience access tokens must be issued for (<c>aud</c>), when <see cref="TokenValidationParameters"/> names none.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// How access tokens are validated. <see cref="Audience"/>, and the configuration keys <c>ValidAudience(s)</c>,
    /// <c>ValidIssuer(s)</c>, <c>ValidateIssuer</c>, <c>ValidateAudience</c>, <c>NameClaimType</c>, <c>RoleClaimType</c>
    /// and <c>SigningKeys</c>, fill it in. By default it accepts token types <c>at+jwt</c> (RFC 9068) and <c>JWT</c>;
    /// roles come from the <c>role</c> claim (so <c>[Authorize(Roles = "agent")]</c> works with ARCP tokens), and
    /// <c>User.Identity.Name</c> from <c>name</c>, else <c>sub</c>, while <see cref="TokenValidationParameters.NameClaimType"/>
    /// is left at <c>name</c>.
    /// </summary>
    public TokenValidationParameters TokenValidationParameters { get; set; } = new()
    {
        ValidTypes = ["at+jwt", "application/at+jwt", "JWT"],
        NameClaimType = DPoPDefaults.NameClaimType,
        RoleClaimType = DPoPDefaults.RoleClaimType,
    };

    /// <summary>The handler that validates access tokens. Default: a <see cref="JsonWebTokenHandler"/>.</summary>
    public TokenHandler TokenHandler { get; set; } = new JsonWebTokenHandler();

    /// <summary>Retrieves and caches the issuer's metadata. Built from <see cref="Authority"/> / <see cref="MetadataAddress"/> when not set.</summary>
    public IConfigurationManager<OpenIdConnectConfiguration>? ConfigurationManager { get; set; }

    /// <summary>Fixed issuer metadata, when no metadata address is used.</summary>
    public OpenIdConnectConfiguration? Configuration { get; set; }

    /// <summary>Whether to ask the metadata for fresh signing keys when a token names an unknown key. Default <see langword="true"/>.</summary>
    public bool RefreshOnIssuerKeyNotFound { get; set; } = true;

    /// <summary>The HTTP handler used to fetch metadata.</summary>
    public HttpMessageHandler? BackchannelHttpHandler { get; set; }

    /// <summary>The HTTP client used to fetch metadata.</summary>
    public HttpClient Backchannel { get; set; } = default!;

    /// <summary>The timeout of metadata requests. Default one minute.</summary>
    public TimeSpan BackchannelTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often metadata is refreshed automatically. Default: the library default (12 hours).</summary>
    public TimeSpan AutomaticRefreshInterval { get; set; } = BaseConfigurationManager.DefaultAutomaticRefreshInterval;

    /// <summary>The least time between two metadata refreshes. Default: the library default (5 minutes).</summary>
    public TimeSpan RefreshInterval { get; set; } = BaseConfigurationManager.DefaultRefreshInterval;

    /// <summary>
    /// The shared secrets bound from configuration (<c>SigningKeys</c>) with the issuer each was configured for (null:
    /// none). The scheme lets each key verify only its own issuer's tokens.
    /// </summary>
    internal List<ConfiguredSigningKey> ConfiguredSigningKeys { get; } = [];

    /// <summary>
    /// Whether an access token with no <c>aud</c> at all is accepted while the audience is still checked: a token that
    /// names an audience must name one this API accepts. Default <see langword="false"/>. Meant for ARCP's
    /// post-registration token (no <c>aud</c>), instead of <c>ValidateAudience = false</c>, which also accepts tokens
    /// issued for other audiences (RFC 7519 §4.1.3: a token for another audience must be rejected).
    /// </summary>
    public bool AllowTokensWithoutAudience { get; set; }

    /// <summary>
    /// Whether a DPoP-bound access token sent as <c>Authorization: Bearer</c> is accepted when a valid proof signed with
    /// its key comes with it, as ARCP's clients send it. Default <see langword="true"/>: the proof, the binding and
    /// replay are checked exactly as with the <c>DPoP</c> scheme. <see langword="false"/> follows RFC 9449 §7.2 to the
    /// letter: a DPoP-bound token must come with <c>Authorization: DPoP</c>, and <c>Bearer</c> is refused with
    /// <c>dpop-required</c>. Either way a bound token sent as <c>Bearer</c> without a proof is refused.
    /// </summary>
    public bool AllowBearerWithProof { get; set; } = true;

    /// <summary>
    /// <see cref="DPoPMode.Required"/> (default): only DPoP-bound tokens with proofs.
    /// <see cref="DPoPMode.Allowed"/>: unbound bearer tokens also pass; bound ones still need their proof.
    /// </summary>
    public DPoPMode Mode { get; set; } = DPoPMode.Required;

    /// <summary>How long after its <c>iat</c> a proof is accepted. Default 60 seconds.</summary>
    public TimeSpan ProofLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How far in the future a proof's <c>iat</c> may lie (client clocks run fast). Default 5 seconds.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The JWS algorithms a proof may be signed with. Default: <see cref="DefaultAllowedAlgorithms"/>.</summary>
    public IList<string> AllowedAlgorithms { get; } = new List<string>(DefaultAllowedAlgorithms);

    /// <summary>The longest <c>DPoP</c> header accepted, in characters. Default 8192.</summary>
    public int MaxProofLength { get; set; } = 8 * 1024;

    /// <summary>
    /// The public origin of the API (for example <c>https://api.example.com</c>, optionally with a path prefix), used to
    /// build the <c>htu</c> a proof must carry. Set it when the app runs behind a proxy or gateway that changes scheme,
    /// host or port, and in production generally: it is the one origin that does not come from the client.
    /// When not set, the request's own scheme, host and port are used, which outside Development needs
    /// <c>AllowedHosts</c> naming this API's hosts or <see cref="TrustHostHeader"/> (the application does not start otherwise).
    /// </summary>
    public string? PublicOrigin { get; set; }

    /// <summary>
    /// Whether the request's <c>Host</c> header may be used for the expected <c>htu</c> outside Development when neither
    /// <see cref="PublicOrigin"/> nor <c>AllowedHosts</c> says which hosts this API serves. Turn it on only when something
    /// you control sets the Host (a proxy that overwrites it, or ForwardedHeaders middleware with known proxies):
    /// otherwise a proof made for another API that accepts the same tokens can be replayed here by sending that API's
    /// host. Default <see langword="false"/>.
    /// </summary>
    public bool TrustHostHeader { get; set; }

    /// <summary>
    /// The largest RSA proof key accepted, in modulus bits (2048 to 8192). Default 4096: verifying with an 8192-bit key
    /// costs several times as much as an ordinary request, and no DPoP client needs one. The public exponent must be
    /// odd and from 3 to 65537.
    /// </summary>
    public int MaxRsaKeySize { get; set; } = 4096;

    /// <summary>
    /// The clock skew allowed on the access token's <c>exp</c> and <c>nbf</c>. Default: the
    /// <see cref="TokenValidationParameters"/>' own (5 minutes, as JwtBearer). Independent of <see cref="ClockSkew"/>,
    /// which is about the proof's <c>iat</c> and is much tighter.
    /// </summary>
    public TimeSpan? TokenClockSkew { get; set; }

    /// <summary>
    /// Whether the metadata retriever keeps using the last configuration it fetched successfully when a refresh fails,
    /// and the token handler retries a failed validation with it (Microsoft.IdentityModel's "last known good").
    /// Default <see langword="true"/>: a blip at the issuer does not refuse good tokens. The price: a signing key
    /// removed from the issuer's JWKS keeps validating for up to <see cref="LastKnownGoodLifetime"/>. Applies to the
    /// configuration manager built from <see cref="Authority"/> / <see cref="MetadataAddress"/>.
    /// </summary>
    public bool UseLastKnownGoodConfiguration { get; set; } = true;

    /// <summary>How long a last known good configuration stays usable. Default one hour (Microsoft.IdentityModel's default).</summary>
    public TimeSpan LastKnownGoodLifetime { get; set; } = BaseConfigurationManager.DefaultLastKnownGoodConfigurationLifetime;

    /// <summary>
    /// Whether proofs must carry a server-provided nonce (RFC 9449 §9). A proof without one, or with a stale or
    /// foreign one, gets a 401 <c>use_dpop_nonce</c> with a fresh <c>DPoP-Nonce</c> header; successful responses carry
    /// the next nonce before the current one expires. Default <see langword="false"/>.
    /// </summary>
    public bool RequireNonce { get; set; }

    /// <summary>How long a server nonce is accepted. Default 5 minutes; a new one is handed out every half of it.</summary>
    public TimeSpan NonceLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>Retry-After</c> of the 503 sent when the replay cache, or the token issuer's metadata, cannot answer. Default 2 seconds.</summary>
    public TimeSpan ReplayCheckRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether access tokens that passed validation are cached (by SHA-256 of the token) so an agent's session pays
    /// the token signature check once; the proof is still validated in full on every request. Default
    /// <see langword="false"/>. Trade-off: a token signed with a key the issuer revoked but still publishes stays
    /// accepted until its entry expires (<see cref="ValidatedTokenCacheDuration"/>); the cache empties itself when the
    /// issuer's signing keys change.
    /// </summary>
    public bool CacheValidatedTokens { get; set; }

    /// <summary>The longest a validated token is cached (never past its <c>exp</c>). Default 5 minutes.</summary>
    public TimeSpan ValidatedTokenCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The most validated tokens cached. Default 10,000.</summary>
    public int ValidatedTokenCacheSize { get; set; } = 10_000;

    /// <summary>Whether the access token is stored in the <see cref="AuthenticationProperties"/> after a successful authentication.</summary>
    public bool SaveToken { get; set; }

    /// <summary>Whether inbound claim types are mapped to the legacy WS-Federation names. Default <see langword="false"/>: <c>sub</c> stays <c>sub</c>.</summary>
    public bool MapInboundClaims { get; set; }

    /// <summary>
    /// What the scheme's protected resource metadata document (RFC 9728) says, when the application maps it with
    /// <c>app.MapDPoPProtectedResourceMetadata()</c>: the resource identifier, authorization servers, scopes, name and
    /// documentation. Configuration keys <c>ResourceMetadata:Resource</c>, <c>ResourceMetadata:AuthorizationServers</c>...
    /// </summary>
    public DPoPResourceMetadataOptions ResourceMetadata { get; } = new();

    /// <summary>The events raised by the handler; replace them to observe or override each decision.</summary>
    public new DPoPEvents Events
    {
        get => (DPoPEvents)base.Events!;
        set => base.Events = value;
    }

    /// <summary>The scheme's clock: <see cref="AuthenticationSchemeOptions.TimeProvider"/>, or the system's when none is set.</summary>
    internal TimeProvider Clock => TimeProvider ?? TimeProvider.System;
}
