using System.Text.Json.Nodes;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// An issuer shaped like ARCP's token service (ARCP 2.1.2), on a real loopback port: its discovery document at
/// <c>/.well-known/arcp-configuration</c> (the fields ARCP serves), its JWKS at <c>/.well-known/jwks.json</c> with
/// <c>Cache-Control: public, max-age=3600</c>, and tokens as ARCP mints them: header {alg, kid, typ: "JWT"}; claims
/// sub, agent_id, scopes (an array), role, iat, exp, iss (JWKS modes only), aud (per registration stage, or none),
/// token_type, cnf.jkt. Modes: EdDSA JWKS (ARCP's default algorithm), ES256 JWKS, HS256 shared secret (JWKS_ENABLED=false:
/// no kid, no iss).
/// </summary>
public sealed class ArcpStyleIssuer : IAsyncDisposable
{
    private readonly List<IssuerKey> _keys = [];
    private readonly List<JsonObject> _extraJwks = [];
    private WebApplication? _app;
    private int _jwksRequests;

    private ArcpStyleIssuer(string mode)
    {
        Mode = mode;
    }

    /// <summary>EdDSA, ES256 or HS256.</summary>
    public string Mode { get; }

    /// <summary>The issuer's base URL, e.g. http://127.0.0.1:40123.</summary>
    public string BaseUrl { get; private set; } = string.Empty;

    public string MetadataAddress => BaseUrl + "/.well-known/arcp-configuration";

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    /// <summary>The signing key in use (the newest).</summary>
    public IssuerKey SigningKey
    {
        get
        {
            lock (_keys)
            {
                return _keys[^1];
            }
        }
    }

    public static async Task<ArcpStyleIssuer> StartAsync(string mode)
    {
        var issuer = new ArcpStyleIssuer(mode);
        issuer.Rotate(mode == "HS256" ? "HS256" : mode);
        await issuer.StartServerAsync();
        return issuer;
    }

    /// <summary>Adds a new signing key (as ARCP's key rotation does); the old ones stay published.</summary>
    public IssuerKey Rotate(string algorithm)
    {
        var key = IssuerKey.Create(algorithm, algorithm == "HS256" ? null : "arcp-" + DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
        lock (_keys)
        {
            _keys.Add(key);
        }

        return key;
    }

    /// <summary>Publishes a JWK this API cannot use (e.g. an Ed448 key), beside the real ones.</summary>
    public void PublishAlso(JsonObject jwk)
    {
        lock (_keys)
        {
            _extraJwks.Add(jwk);
        }
    }

    /// <summary>Mints an ARCP-shaped access token bound to <paramref name="jkt"/>.</summary>
    /// <param name="jkt">The agent key's thumbprint (cnf.jkt).</param>
    /// <param name="audience">arcp:validate, arcp:register, or null for the token ARCP issues after registration.</param>
    /// <param name="scopes">The scopes array.</param>
    /// <param name="role">agent, admin or user.</param>
    /// <param name="tokenType">ARCP's token_type.</param>
    /// <param name="key">The signing key; the newest by default.</param>
    /// <param name="extra">More claims (e.g. an RFC 9068 scope string).</param>
    public string Issue(string jkt, string? audience, string[]? scopes = null, string role = "agent", string tokenType = "access", IssuerKey? key = null, Action<JsonObject>? extra = null)
    {
        key ??= SigningKey;
        var now = DateTimeOffset.UtcNow;
        var claims = new JsonObject
        {
            ["sub"] = "user-7",
            ["agent_id"] = "agent-7",
            ["scopes"] = new JsonArray([.. (scopes ?? ["agents:register"]).Select(s => JsonValue.Create(s))]),
            ["role"] = role,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(15).ToUnixTimeSeconds(),
        };
        if (Mode != "HS256")
        {
            claims["iss"] = BaseUrl;
        }

        if (audience is not null)
        {
            claims["aud"] = audience;
        }

        claims["token_type"] = tokenType;
        claims["cnf"] = new JsonObject { ["jkt"] = jkt };
        extra?.Invoke(claims);
        return key.CreateToken(claims);
    }

    private JsonObject Configuration() => new()
    {
        ["issuer"] = BaseUrl,
        ["jwks_uri"] = BaseUrl + "/.well-known/jwks.json",
        ["token_endpoint"] = BaseUrl + "/auth/agent/request_temp_token",
        ["validation_endpoint"] = BaseUrl + "/auth/agent/validate_compliance",
        ["registration_endpoint"] = BaseUrl + "/agents/register",
        ["token_endpoint_auth_methods_supported"] = new JsonArray("none"),
        ["id_token_signing_alg_values_supported"] = new JsonArray(Mode, "HS256"),
        ["dpop_signing_alg_values_supported"] = new JsonArray("EdDSA", "ES256"),
        ["response_types_supported"] = new JsonArray("token"),
        ["grant_types_supported"] = new JsonArray("client_credentials"),
        ["three_phase_registration_enabled"] = true,
        ["service_version"] = "2.1.2",
    };

    private JsonObject Jwks()
    {
        lock (_keys)
        {
            var keys = new JsonArray();
            foreach (var key in _keys.Where(k => k.Algorithm != "HS256"))
            {
                keys.Add(key.PublicJwk());
            }

            foreach (var jwk in _extraJwks)
            {
                keys.Add(jwk.DeepClone());
            }

            return new JsonObject { ["keys"] = keys };
        }
    }

    private async Task StartServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseSetting("urls", "http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/.well-known/arcp-configuration", () => Results.Text(Configuration().ToJsonString(), "application/json"));

        // Not ARCP's: the same document where an OpenID Connect client looks (Authority), for the sample's Authority mode.
        _app.MapGet("/.well-known/openid-configuration", () => Results.Text(Configuration().ToJsonString(), "application/json"));
        _app.MapGet("/.well-known/jwks.json", (HttpContext context) =>
        {
            Interlocked.Increment(ref _jwksRequests);
            if (Mode == "HS256")
            {
                // JWKS_ENABLED=false: ARCP has no keys to publish.
                return Results.Text("""{"keys":[]}""", "application/json");
            }

            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Text(Jwks().ToJsonString(), "application/json");
        });
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First().TrimEnd('/');
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
