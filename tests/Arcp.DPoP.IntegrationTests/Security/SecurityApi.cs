using System.Security.Cryptography;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests.Security;

/// <summary>
/// The handler's own test host (not the sample app): a minimal WebApplication on TestServer (or Kestrel) with
/// <c>AddDPoP</c> and one endpoint, configured per test, with an ES256 token issuer in the test itself. Every path
/// answers with the principal it saw (sub, every jkt claim, the identities' schemes).
/// </summary>
internal sealed class SecurityApi : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "orders-api";
    public const string Origin = "http://localhost";

    private readonly ECDsa _issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private SecurityApi()
    {
        SigningKey = new ECDsaSecurityKey(_issuerKey) { KeyId = "k1" };
    }

    public SecurityKey SigningKey { get; }

    public WebApplication App { get; private set; } = default!;

    public HttpClient Client { get; private set; } = default!;

    public sealed class Setup
    {
        public string Environment { get; set; } = "Development";

        public Dictionary<string, string?> Settings { get; } = new();

        public Action<DPoPOptions>? Configure { get; set; }

        /// <summary>More schemes or services; the DPoP scheme is already added.</summary>
        public Action<AuthenticationBuilder, SecurityApi>? Authentication { get; set; }

        public Action<IServiceCollection>? Services { get; set; }

        /// <summary>The schemes that protect /orders.</summary>
        public string Schemes { get; set; } = DPoPDefaults.AuthenticationScheme;

        public bool UseKestrel { get; set; }

        /// <summary>The authorization policy of the endpoint (added with <see cref="Services"/>), if any.</summary>
        public string? Policy { get; set; }

        /// <summary>Middleware before authentication (UsePathBase...).</summary>
        public Action<WebApplication>? Pipeline { get; set; }
    }

    public static async Task<SecurityApi> StartAsync(Setup? setup = null)
    {
        setup ??= new Setup();
        var api = new SecurityApi();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = setup.Environment });

        // The project template's value (the sample's appsettings.json, copied beside the tests, names hosts instead).
        builder.Configuration["AllowedHosts"] = "*";
        foreach (var setting in setup.Settings)
        {
            builder.Configuration[setting.Key] = setting.Value;
        }

        if (setup.UseKestrel)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        var authentication = builder.Services.AddAuthentication().AddDPoP(o =>
        {
            api.ConfigureDefaults(o);
            setup.Configure?.Invoke(o);
        });
        setup.Authentication?.Invoke(authentication, api);
        setup.Services?.Invoke(builder.Services);
        builder.Services.AddAuthorization();
        var app = builder.Build();
        setup.Pipeline?.Invoke(app);
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapMethods("/{**path}", ["GET", "POST"], (HttpContext c) => Results.Ok(new
        {
            sub = c.User.FindFirst("sub")?.Value,
            jkt = c.User.FindAll(DPoPDefaults.JktClaimType).Select(claim => claim.Value).ToArray(),
            identities = c.User.Identities.Count(i => i.IsAuthenticated),
            path = c.Request.Path.Value,
        })).RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = setup.Schemes, Policy = setup.Policy });

        await app.StartAsync();
        api.App = app;
        api.Client = setup.UseKestrel
            ? new HttpClient { BaseAddress = new Uri(app.Urls.First()) }
            : app.GetTestClient();
        return api;
    }

    public void ConfigureDefaults(DPoPOptions o)
    {
        o.Audience = Audience;
        o.TokenValidationParameters.ValidIssuer = Issuer;
        o.TokenValidationParameters.IssuerSigningKey = SigningKey;
    }

    /// <summary>A token bound to <paramref name="jkt"/> (or unbound), with any claims changed by <paramref name="claims"/>;
    /// valid for ten minutes, or issued an hour before <paramref name="expires"/> when that is given.</summary>
    public string Token(string? jkt, Action<Dictionary<string, object>>? claims = null, string audience = Audience, DateTime? expires = null)
    {
        var payload = new Dictionary<string, object> { ["sub"] = "agent-7" };
        if (jkt is not null)
        {
            payload["cnf"] = new Dictionary<string, object> { ["jkt"] = jkt };
        }

        claims?.Invoke(payload);
        var now = expires?.AddHours(-1) ?? DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = expires ?? now.AddMinutes(10),
            TokenType = "at+jwt",
            Claims = payload,
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>An agent with a new key of <paramref name="algorithm"/> and a token of this API's issuer bound to it.</summary>
    public BoundAgent NewAgent(string algorithm = "ES256", Action<Dictionary<string, object>>? claims = null)
    {
        var key = TestKey.Create(algorithm);
        return new BoundAgent(key, Token(key.Jkt, claims));
    }

    public static string Proof(TestKey key, string path, string? token, string method = "POST", string origin = Origin) =>
        new ProofBuilder(key, method, origin + path).ForToken(token).Build();

    public static HttpRequestMessage Request(string path, string? token, string? proof, string scheme = "DPoP", string method = "POST") =>
        SampleApiFactory.Request(new HttpMethod(method), path, token, proof, scheme);

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        _issuerKey.Dispose();
    }
}
