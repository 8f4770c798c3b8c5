using System.Net;
using System.Text.Json;
using Arcp.DPoP.Development;
using Arcp.DPoP.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// The development issuer of Arcp.DPoP (<c>AddDPoP().AddDevelopmentIssuer()</c>) as the sample API uses it: metadata,
/// JWKS, a key kept across restarts, the RFC 9449 §5 token endpoint, and nothing at all outside Development or beside
/// an issuer the application configured.
/// </summary>
public sealed class DevelopmentIssuerTests : IDisposable
{
    private const string P = "Authentication:Schemes:DPoP:";
    private const string Register = "/agents/register";
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("arcp-dpop-devissuer-");

    private string KeyFile => Path.Combine(_folder.FullName, ".arcp-dpop-dev", "signing-key.pem");

    public void Dispose() => _folder.Delete(recursive: true);

    private SampleApiFactory Sample(string environment = "Development")
    {
        var factory = new SampleApiFactory { Environment = environment };
        factory.Settings["DevelopmentIssuer:KeyFile"] = KeyFile;
        return factory;
    }

    [Fact]
    public async Task Metadata_names_the_issuer_its_jwks_and_token_endpoint_with_the_DPoP_algorithms()
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();

        foreach (string path in new[] { "/dev-issuer/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/dev-issuer" })
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var metadata = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            // RFC 8414 §3.3: the issuer is the URL the metadata was found under.
            Assert.Equal("http://localhost/dev-issuer", metadata.GetProperty("issuer").GetString());
            Assert.Equal("http://localhost/dev-issuer/jwks", metadata.GetProperty("jwks_uri").GetString());
            Assert.Equal("http://localhost/dev-issuer/token", metadata.GetProperty("token_endpoint").GetString());
            Assert.Equal(["client_credentials"], Strings(metadata, "grant_types_supported"));
            Assert.Contains("none", Strings(metadata, "token_endpoint_auth_methods_supported"));
            var algorithms = Strings(metadata, "dpop_signing_alg_values_supported");
            Assert.Contains("EdDSA", algorithms);
            Assert.Contains("ES256", algorithms);
            Assert.DoesNotContain("none", algorithms);
        }
    }

    [Fact]
    public async Task The_APIs_RFC_9728_document_names_the_development_issuer_as_its_metadata_and_tokens_do()
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        // RFC 9728 §2: authorization_servers holds the issuer identifier for the origin the client used...
        using var document = await client.GetAsync("/.well-known/oauth-protected-resource");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var resource = JsonDocument.Parse(await document.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["http://localhost/dev-issuer"], Strings(resource, "authorization_servers"));

        // ... which is the issuer of its RFC 8414 metadata (§3.3) and the iss of the tokens its token endpoint issues.
        using var metadata = await client.GetAsync("/.well-known/oauth-authorization-server/dev-issuer");
        Assert.Equal("http://localhost/dev-issuer", JsonDocument.Parse(await metadata.Content.ReadAsStringAsync()).RootElement.GetProperty("issuer").GetString());
        Assert.Equal("http://localhost/dev-issuer", new JsonWebToken(await factory.GetTokenAsync(client, key)).Issuer);

        // Another origin the API serves gets that origin's issuer (PublicOrigin unset, Host vouched for by AllowedHosts).
        using var at127 = new HttpRequestMessage(HttpMethod.Get, "/.well-known/oauth-protected-resource");
        at127.Headers.Host = "127.0.0.1";
        using var other = await client.SendAsync(at127);
        Assert.Equal(["http://127.0.0.1/dev-issuer"], Strings(JsonDocument.Parse(await other.Content.ReadAsStringAsync()).RootElement, "authorization_servers"));
    }

    [Fact]
    public async Task The_jwks_holds_the_key_that_signs_the_tokens()
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = await factory.GetTokenAsync(client, key);

        using var response = await client.GetAsync("/dev-issuer/jwks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jwks = new JsonWebKeySet(await response.Content.ReadAsStringAsync());
        var jwk = Assert.Single(jwks.Keys);
        Assert.Equal("EC", jwk.Kty);
        Assert.Equal("P-256", jwk.Crv);
        Assert.Null(jwk.D); // public only
        Assert.Equal(Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()), jwk.Kid); // RFC 7638 thumbprint as kid

        // An independent validator, given only the JWKS, verifies the token.
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidIssuer = "http://localhost/dev-issuer",
            ValidAudience = "arcp-api",
            ValidTypes = ["at+jwt"],
        });
        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal(jwk.Kid, ((JsonWebToken)result.SecurityToken).Kid);
    }

    [Fact]
    public async Task Another_API_trusts_the_development_issuer_through_its_metadata_as_an_Authority()
    {
        await using var issuerApp = Sample();
        using var issuerClient = issuerApp.CreateClient();
        using var key = TestKey.Create();
        string token = await issuerApp.GetTokenAsync(issuerClient, key);

        // A second service in development: no development issuer of its own, the first one's metadata as Authority.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        builder.Services.AddAuthentication().AddDPoP(o =>
        {
            o.Authority = "http://localhost/dev-issuer";
            o.RequireHttpsMetadata = false;
            o.Audience = "arcp-api";
            o.BackchannelHttpHandler = issuerApp.Server.CreateHandler();
        });
        builder.Services.AddAuthorization();
        await using var other = builder.Build();
        other.UseAuthentication();
        other.UseAuthorization();
        other.MapGet("/orders", () => "ok").RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = DPoPDefaults.AuthenticationScheme });
        await other.StartAsync();
        using var otherClient = other.GetTestClient();

        using var response = await otherClient.SendAsync(SampleApiFactory.Request(HttpMethod.Get, "/orders", token,
            new ProofBuilder(key, "GET", "http://localhost/orders").ForToken(token).Build()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Another_program_with_the_key_file_makes_tokens_the_sample_accepts_under_its_ValidIssuer()
    {
        // What benchmarks/e2e does: one PEM shared by the sample's development issuer and a token generator whose iss
        // the sample names in ValidIssuer (the development issuer accepts the application's ValidIssuer(s) too).
        Directory.CreateDirectory(Path.GetDirectoryName(KeyFile)!);
        using (var ecdsa = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            await File.WriteAllTextAsync(KeyFile, ecdsa.ExportPkcs8PrivateKeyPem());
        }

        using var generator = TestTokenIssuer.FromPemFile(KeyFile, TimeProvider.System);
        await using var factory = Sample();
        factory.Settings[P + "ValidIssuer"] = TestTokenIssuer.Issuer;
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        string token = generator.CreateToken("bench", "arcp-api", key.Jkt, TimeSpan.FromMinutes(5));
        using var response = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(factory.Issuer.KeyId, new JsonWebToken(token).Kid);
    }

    [Fact]
    public async Task The_signing_key_persists_across_two_app_starts_in_a_private_file()
    {
        using var key = TestKey.Create();
        string token;
        string kid;
        await using (var first = Sample())
        {
            using var client = first.CreateClient();
            token = await first.GetTokenAsync(client, key);
            kid = first.Issuer.KeyId;
        }

        Assert.True(File.Exists(KeyFile));
        Assert.Contains("*", await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(KeyFile)!, ".gitignore")), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(KeyFile)!));
        }

        await using var second = Sample();
        using var client2 = second.CreateClient();
        Assert.Equal(kid, second.Issuer.KeyId);

        // The token of the first run is still good after the restart.
        using var response = await client2.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, second.Proof(key, "POST", Register, token).Build()));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("EdDSA")]
    public async Task A_good_proof_gets_a_cnf_jkt_bound_DPoP_token_the_API_accepts(string algorithm)
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create(algorithm);

        using var request = new HttpRequestMessage(HttpMethod.Post, SampleApiFactory.TokenPath)
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("client_id", "agent-42")]),
        };
        request.Headers.Add("DPoP", new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build());
        using var response = await client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString()); // RFC 6749 §5.1
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("DPoP", json.GetProperty("token_type").GetString()); // RFC 9449 §5
        Assert.Equal(600, json.GetProperty("expires_in").GetInt32());
        Assert.Equal("agents:register", json.GetProperty("scope").GetString()); // the sample's DefaultScope

        var token = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Equal("at+jwt", token.Typ);
        Assert.Equal("ES256", token.Alg);
        Assert.Equal(key.Jkt, JsonDocument.Parse(token.GetPayloadValue<JsonElement>("cnf").GetRawText()).RootElement.GetProperty("jkt").GetString());
        Assert.Equal("agent-42", token.Subject);
        Assert.Equal("http://localhost/dev-issuer", token.Issuer);
        Assert.Equal(["arcp-api"], token.Audiences);
        Assert.Equal("agent", token.GetPayloadValue<string>("role")); // the sample's DefaultRoles

        string accessToken = token.EncodedToken;
        using var me = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Get, "/agents/me", accessToken, factory.Proof(key, "GET", "/agents/me", accessToken).Build()));
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var who = JsonDocument.Parse(await me.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("agent-42", who.GetProperty("agent_id").GetString());
        Assert.Equal(key.Jkt, who.GetProperty("jkt").GetString());

        using var heartbeat = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, "/agents/heartbeat", accessToken, factory.Proof(key, "POST", "/agents/heartbeat", accessToken).Build()));
        Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode); // role agent
    }

    [Fact]
    public async Task A_requested_scope_and_role_are_granted_and_drive_authorization()
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        var json = await TokenRequestAsync(client, key, [new("scope", "agents:admin agents:register"), new("role", "agent admin")], HttpStatusCode.OK);
        string token = json.GetProperty("access_token").GetString()!;
        Assert.Equal("agents:admin agents:register", json.GetProperty("scope").GetString());
        Assert.Equal(["agent", "admin"], new JsonWebToken(token).GetPayloadValue<string[]>("role"));

        using var admin = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Get, "/agents", token, factory.Proof(key, "GET", "/agents", token).Build()));
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode); // policy RequireAccessTokenScope("agents:admin")
    }

    [Fact]
    public async Task Proof_errors_are_RFC_9449_token_endpoint_errors()
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        // No proof.
        using (var none = new HttpRequestMessage(HttpMethod.Post, SampleApiFactory.TokenPath))
        {
            using var response = await client.SendAsync(none);
            await AssertErrorAsync(response, "invalid_dpop_proof", "DPoP header");
        }

        // A proof for another URI (RFC 9449 §4.3 item 9), and one for another method.
        await AssertErrorAsync(await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost/agents/register").Build()), "invalid_dpop_proof", "htu");
        await AssertErrorAsync(await SendProofAsync(client, new ProofBuilder(key, "GET", "http://localhost" + SampleApiFactory.TokenPath).Build()), "invalid_dpop_proof", "htm");

        // A stale proof.
        await AssertErrorAsync(await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).At(DateTimeOffset.UtcNow.AddMinutes(-10)).Build()), "invalid_dpop_proof", "iat");

        // Replay: the same proof twice gets one token.
        string proof = new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build();
        using (var first = await SendProofAsync(client, proof))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await AssertErrorAsync(await SendProofAsync(client, proof), "invalid_dpop_proof", "already used");

        // A proof used at the token endpoint is refused by the API too: one replay cache, one key space.
        string token = await factory.GetTokenAsync(client, key);
        using var atApi = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, proof));
        Assert.Equal(HttpStatusCode.Unauthorized, atApi.StatusCode);
    }

    [Fact]
    public async Task Grant_errors_are_RFC_6749_errors_and_use_no_jti()
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        var proof = new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build();
        await AssertErrorAsync(await SendProofAsync(client, proof, [new("grant_type", "password")]), "unsupported_grant_type", "client_credentials");
        await AssertErrorAsync(await SendProofAsync(client, proof, [new("client_id", "bad id with spaces")]), "invalid_request", "client_id");
        await AssertErrorAsync(await SendProofAsync(client, proof, [new("scope", "a\"b")]), "invalid_scope", "scope");

        // The proof was refused for its request each time, never recorded: it still gets a token.
        using var good = await SendProofAsync(client, proof);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);

        using var get = await client.GetAsync(SampleApiFactory.TokenPath);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Theory]
    [InlineData("rebind.attacker.example", false)]      // a DNS name pointed at this machine by a web page (DNS rebinding)
    [InlineData("rebind.attacker.example:5080", false)]
    [InlineData("localhost", true)]
    [InlineData("app.localhost", true)]                 // RFC 6761 §6.3: always loopback
    [InlineData("127.0.0.1:5080", true)]                // an address is not a name a page can rebind
    [InlineData("[::1]:5080", true)]
    [InlineData("dev.example.test", true)]              // named in AllowedHosts
    public async Task The_token_endpoint_answers_only_hosts_a_rebinding_page_cannot_have(string host, bool served)
    {
        await using var factory = Sample();
        factory.Settings["AllowedHosts"] = host.StartsWith("dev.", StringComparison.Ordinal) ? "dev.example.test" : "*"; // "*" as in dotnet new webapi
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        using var request = new HttpRequestMessage(HttpMethod.Post, SampleApiFactory.TokenPath);
        request.Headers.Host = host;
        request.Headers.Add("DPoP", new ProofBuilder(key, "POST", "http://" + host + SampleApiFactory.TokenPath).Build());
        request.Content = new FormUrlEncodedContent([new("client_id", "admin"), new("role", "admin")]);
        using var response = await client.SendAsync(request);
        if (served)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            await AssertErrorAsync(response, "invalid_request", "DNS rebinding");
        }
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded; charset=utf-7")] // the platform refuses to decode UTF-7 (SYSLIB0001)
    [InlineData("multipart/form-data")]                              // no boundary
    public async Task A_form_body_the_server_cannot_decode_is_invalid_request_not_a_500(string contentType)
    {
        await using var factory = Sample();
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        var proof = new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build();

        using (var request = new HttpRequestMessage(HttpMethod.Post, SampleApiFactory.TokenPath))
        {
            request.Headers.Add("DPoP", proof);
            request.Content = new ByteArrayContent("client_id=agent-1"u8.ToArray());
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            await AssertErrorAsync(await client.SendAsync(request), "invalid_request", "not a readable");
        }

        // Refused before the proof was checked: its jti is not used up.
        using var good = await SendProofAsync(client, proof);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task With_RequireNonce_the_token_endpoint_asks_for_the_schemes_nonce_which_the_API_shares()
    {
        await using var factory = Sample();
        factory.Settings[P + "RequireNonce"] = "true";
        using var client = factory.CreateClient();
        using var key = TestKey.Create();

        using var first = await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build());
        await AssertErrorAsync(first, "use_dpop_nonce", "nonce");
        Assert.Single(first.Headers.GetValues("DPoP-Nonce"));

        // A nonce that is not the server's is refused, with a new one to use.
        var forged = new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath);
        forged.Payload["nonce"] = "not-a-nonce-of-this-server";
        using var refused = await SendProofAsync(client, forged.Build());
        Assert.Single(refused.Headers.GetValues("DPoP-Nonce"));
        await AssertErrorAsync(refused, "use_dpop_nonce", "nonce");

        // One application, one origin, one nonce (RFC 9449 §8 allows it): the nonce the API hands out in its challenge
        // is good at the token endpoint, and the token endpoint's at the API.
        using var apiChallenge = await client.PostAsync(Register, null);
        string apiNonce = apiChallenge.Headers.GetValues("DPoP-Nonce").Single();
        var withApiNonce = new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath);
        withApiNonce.Payload["nonce"] = apiNonce;
        using var second = await SendProofAsync(client, withApiNonce.Build());
        string body = await second.Content.ReadAsStringAsync();
        Assert.True(second.StatusCode == HttpStatusCode.OK, body);
        string token = JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;

        using var again = await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build());
        string tokenEndpointNonce = again.Headers.GetValues("DPoP-Nonce").Single();
        var atApi = factory.Proof(key, "POST", Register, token);
        atApi.Payload["nonce"] = tokenEndpointNonce;
        using var registered = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, atApi.Build()));
        Assert.NotEqual(HttpStatusCode.Unauthorized, registered.StatusCode);
    }

    [Fact]
    public void In_Production_without_an_issuer_the_sample_refuses_to_start()
    {
        var ex = SampleApiFactory.StartupFailure(() => Sample("Production"));

        // The startup validation failure, however the host wraps it.
        static IEnumerable<Exception> All(Exception e) =>
            new[] { e }.Concat(e is AggregateException a ? a.InnerExceptions.SelectMany(All) : e.InnerException is { } inner ? All(inner) : []);
        Assert.True(All(ex).OfType<OptionsValidationException>().Any(v => v.Message.Contains("Set Authority (or MetadataAddress)", StringComparison.Ordinal)), ex.ToString());
        Assert.False(File.Exists(KeyFile)); // no key is ever made outside Development
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_nothing_is_served_and_development_tokens_are_refused(string environment)
    {
        // A token the development issuer made in Development, with the very key file the other environment can read.
        using var key = TestKey.Create();
        string token;
        await using (var development = Sample())
        {
            using var devClient = development.CreateClient();
            token = await development.GetTokenAsync(devClient, key);
        }

        var logs = new FakeLogCollector();
        await using var factory = Sample(environment);
        factory.ExtraServices = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)));
        factory.Settings[P + "SigningKeys:0:Value"] = Convert.ToBase64String(new byte[32]);
        factory.Settings[P + "ValidIssuer"] = "https://issuer.test";
        factory.Settings["AllowedHosts"] = "localhost";
        using var client = factory.CreateClient();

        foreach (string path in new[] { "/dev-issuer/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/dev-issuer", "/dev-issuer/jwks" })
        {
            using var get = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        }

        using var tokenRequest = await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build());
        Assert.Equal(HttpStatusCode.NotFound, tokenRequest.StatusCode);

        // Even a request that says it is Development reaches nothing: the environment is the host's, not the client's.
        using var claiming = new HttpRequestMessage(HttpMethod.Get, "/dev-issuer/jwks");
        claiming.Headers.Add("ASPNETCORE_ENVIRONMENT", "Development");
        using var claimed = await client.SendAsync(claiming);
        Assert.Equal(HttpStatusCode.NotFound, claimed.StatusCode);

        using var refused = await client.SendAsync(SampleApiFactory.Request(HttpMethod.Post, Register, token, factory.Proof(key, "POST", Register, token).Build()));
        await Problem.AssertAsync(refused, "authentication-failed", error: "invalid_token");

        // Said at startup: event 151, with the reason.
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 151 && r.Level == LogLevel.Warning && r.Message.Contains($"'{environment}', not Development", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 150);

        var resolve = Assert.Throws<InvalidOperationException>(() => factory.Services.GetService(typeof(DPoPDevelopmentIssuer)));
        Assert.Contains("only in the Development environment", resolve.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Authority", "https://issuer.test")]
    [InlineData("MetadataAddress", "https://issuer.test/.well-known/arcp-configuration")]
    [InlineData("SigningKeys:0:Value", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public async Task In_Development_a_configured_issuer_takes_precedence(string setting, string value)
    {
        var logs = new FakeLogCollector();
        await using var factory = Sample();
        factory.ExtraServices = s => s.AddLogging(b => b.AddProvider(new FakeLoggerProvider(logs)));
        factory.Settings[P + setting] = value;
        factory.Settings[P + "ValidIssuer"] = "https://issuer.test";
        using var client = factory.CreateClient();
        using var key = TestKey.Create();
        using var response = await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build());
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var jwks = await client.GetAsync("/dev-issuer/jwks");
        Assert.Equal(HttpStatusCode.NotFound, jwks.StatusCode);

        Assert.False(File.Exists(KeyFile)); // no key is read or made for an issuer that is off
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 151 && r.Message.Contains("which takes precedence", StringComparison.Ordinal));

        // The scheme keeps exactly what the application configured.
        var options = factory.Services.GetRequiredService<IOptionsMonitor<DPoPOptions>>().Get(DPoPDefaults.AuthenticationScheme);
        Assert.NotEqual(factory.Issuer.KeyId, options.TokenValidationParameters.IssuerSigningKey?.KeyId);
        Assert.Null(options.TokenValidationParameters.IssuerValidator);
    }

    private static async Task<JsonElement> TokenRequestAsync(HttpClient client, TestKey key, KeyValuePair<string, string>[] form, HttpStatusCode expected)
    {
        using var response = await SendProofAsync(client, new ProofBuilder(key, "POST", "http://localhost" + SampleApiFactory.TokenPath).Build(), form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<HttpResponseMessage> SendProofAsync(HttpClient client, string proof, KeyValuePair<string, string>[]? form = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SampleApiFactory.TokenPath);
        request.Headers.Add("DPoP", proof);
        if (form is not null)
        {
            request.Content = new FormUrlEncodedContent(form);
        }

        return await client.SendAsync(request);
    }

    // RFC 6749 §5.2: 400, application/json, error and error_description; RFC 9449 §5/§8 error codes.
    private static async Task AssertErrorAsync(HttpResponseMessage response, string error, string inDescription)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            var json = JsonDocument.Parse(body).RootElement;
            Assert.Equal(error, json.GetProperty("error").GetString());
            Assert.Contains(inDescription, json.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        }
    }

    private static string[] Strings(JsonElement element, string name) =>
        [.. element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
}
