using System.Net;
using System.Text.Json;
using Arcp.DPoP.IntegrationTests.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Arcp.DPoP.IntegrationTests.Metadata;

/// <summary>
/// RFC 9728 protected resource metadata: the document (every member, the path-suffixed form, PublicOrigin, Mode
/// Allowed, the issuer from the scheme's metadata) and <c>resource_metadata</c> in every 401 challenge (RFC 9728 §5.1).
/// </summary>
public sealed class ResourceMetadataTests
{
    private const string Scheme = "Authentication:Schemes:DPoP:";
    private const string WellKnown = "/.well-known/oauth-protected-resource";

    private static Task<SecurityApi> StartAsync(Dictionary<string, string?> settings, bool map = true, Action<DPoPOptions>? configure = null, string environment = "Development")
    {
        var setup = new SecurityApi.Setup
        {
            Environment = environment,
            Configure = configure,
            Pipeline = map ? app => app.MapDPoPProtectedResourceMetadata() : null,
        };
        foreach (var setting in settings)
        {
            setup.Settings[setting.Key] = setting.Value;
        }

        return SecurityApi.StartAsync(setup);
    }

    private static async Task<(HttpResponseMessage Response, JsonElement Document)> GetDocumentAsync(SecurityApi api, string path = WellKnown, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        var response = await api.Client.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return (response, JsonDocument.Parse(body).RootElement.Clone());
    }

    private static async Task<string[]> ChallengesAsync(SecurityApi api, string? host = null)
    {
        using var request = SecurityApi.Request("/orders", token: null, proof: null);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        using var response = await api.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return [.. response.Headers.WwwAuthenticate.Select(h => h.ToString())];
    }

    private static string[] Strings(JsonElement document, string name) =>
        [.. document.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task The_document_has_every_member_bound_from_configuration()
    {
        await using var api = await StartAsync(new()
        {
            [Scheme + "PublicOrigin"] = "https://api.example.com",
            [Scheme + "AllowedAlgorithms"] = "ES256 EdDSA PS256",
            [Scheme + "ResourceMetadata:ResourceName"] = "Orders API",
            [Scheme + "ResourceMetadata:ResourceDocumentation"] = "https://docs.example.com/orders",
            [Scheme + "ResourceMetadata:ScopesSupported:0"] = "orders:read",
            [Scheme + "ResourceMetadata:ScopesSupported:1"] = "orders:write",
        });

        var (response, document) = await GetDocumentAsync(api);
        using (response)
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("public, max-age=3600", response.Headers.CacheControl?.ToString());
        }

        Assert.Equal("https://api.example.com", document.GetProperty("resource").GetString());
        Assert.Equal([SecurityApi.Issuer], Strings(document, "authorization_servers")); // ValidIssuer: no Authority here
        Assert.Equal(["orders:read", "orders:write"], Strings(document, "scopes_supported"));
        Assert.Equal(["header"], Strings(document, "bearer_methods_supported"));
        Assert.Equal("Orders API", document.GetProperty("resource_name").GetString());
        Assert.Equal("https://docs.example.com/orders", document.GetProperty("resource_documentation").GetString());
        Assert.Equal(["ES256", "EdDSA", "PS256"], Strings(document, "dpop_signing_alg_values_supported"));
        Assert.True(document.GetProperty("dpop_bound_access_tokens_required").GetBoolean());
        Assert.Equal(8, document.EnumerateObject().Count()); // nothing else

        // The same algorithms, in the same order, as the challenge's algs; and the challenge points to the document.
        string challenge = Assert.Single(await ChallengesAsync(api));
        Assert.Equal("DPoP algs=\"ES256 EdDSA PS256\", resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource\"", challenge);
    }

    [Fact]
    public async Task Unset_members_are_left_out()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://api.example.com" },
            configure: o => o.TokenValidationParameters.ValidIssuer = null);
        var (response, document) = await GetDocumentAsync(api);
        response.Dispose();
        Assert.Equal(["resource", "bearer_methods_supported", "dpop_signing_alg_values_supported", "dpop_bound_access_tokens_required"],
            document.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(DPoPOptions.DefaultAllowedAlgorithms, Strings(document, "dpop_signing_alg_values_supported"));
    }

    [Fact]
    public async Task A_resource_with_a_path_is_served_at_the_path_suffixed_url_only()
    {
        await using var api = await StartAsync(new()
        {
            [Scheme + "PublicOrigin"] = "https://api.example.com",
            [Scheme + "ResourceMetadata:Resource"] = "/mcp",
        });

        var (response, document) = await GetDocumentAsync(api, WellKnown + "/mcp");
        response.Dispose();
        Assert.Equal("https://api.example.com/mcp", document.GetProperty("resource").GetString());

        // The bare URL names the origin as resource, which this API is not (RFC 9728 §3.3): no document there.
        using var bare = await api.Client.GetAsync(WellKnown);
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
        using var other = await api.Client.GetAsync(WellKnown + "/other");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);

        string challenge = Assert.Single(await ChallengesAsync(api));
        Assert.EndsWith("resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource/mcp\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_PublicOrigin_with_a_path_puts_the_well_known_path_between_host_and_path()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://gateway.example.com/orders-api/" });
        var (response, document) = await GetDocumentAsync(api, WellKnown + "/orders-api");
        response.Dispose();
        Assert.Equal("https://gateway.example.com/orders-api", document.GetProperty("resource").GetString());
        string challenge = Assert.Single(await ChallengesAsync(api));
        Assert.EndsWith("resource_metadata=\"https://gateway.example.com/.well-known/oauth-protected-resource/orders-api\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_PublicOrigin_a_spoofed_Host_reaches_neither_the_document_nor_the_challenge()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://api.example.com" });
        var (response, document) = await GetDocumentAsync(api, host: "evil.example");
        response.Dispose();
        Assert.Equal("https://api.example.com", document.GetProperty("resource").GetString());

        string challenge = Assert.Single(await ChallengesAsync(api, host: "evil.example"));
        Assert.DoesNotContain("evil", challenge, StringComparison.Ordinal);
        Assert.Contains("resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource\"", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_PublicOrigin_only_a_host_AllowedHosts_names_is_used()
    {
        await using var api = await StartAsync(new() { ["AllowedHosts"] = "api.test" }, environment: "Production");

        var (response, document) = await GetDocumentAsync(api, host: "API.test");
        response.Dispose();
        Assert.Equal("http://api.test", document.GetProperty("resource").GetString()); // normalised as htu is
        Assert.Contains("resource_metadata=\"http://api.test/.well-known/oauth-protected-resource\"", Assert.Single(await ChallengesAsync(api, host: "api.test")), StringComparison.Ordinal);

        // Another Host: no document is built from it, and the challenge does not echo it.
        using var request = new HttpRequestMessage(HttpMethod.Get, WellKnown);
        request.Headers.Host = "evil.example";
        using var refused = await api.Client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        string body = await refused.Content.ReadAsStringAsync();
        Assert.DoesNotContain("evil", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_handler_refuses_to_build_a_document_from_a_host_it_does_not_serve_even_without_host_filtering()
    {
        // Host filtering middleware removed: the endpoint and the challenge still judge the Host themselves.
        var setup = new SecurityApi.Setup
        {
            Environment = "Production",
            Settings = { ["AllowedHosts"] = "api.test" },
            Services = s => Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.RemoveAll<Microsoft.AspNetCore.Hosting.IStartupFilter>(s),
            Pipeline = app => app.MapDPoPProtectedResourceMetadata(),
        };
        await using var api = await SecurityApi.StartAsync(setup);
        using var request = new HttpRequestMessage(HttpMethod.Get, WellKnown);
        request.Headers.Host = "evil.example";
        using var refused = await api.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);

        string challenge = Assert.Single(await ChallengesAsync(api, host: "evil.example"));
        Assert.DoesNotContain("resource_metadata", challenge, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_Mode_Allowed_tokens_need_not_be_bound_and_both_challenges_point_to_the_document()
    {
        await using var api = await StartAsync(new()
        {
            [Scheme + "PublicOrigin"] = "https://api.example.com",
            [Scheme + "Mode"] = "Allowed",
        });
        var (response, document) = await GetDocumentAsync(api);
        response.Dispose();
        Assert.False(document.GetProperty("dpop_bound_access_tokens_required").GetBoolean());

        string[] challenges = await ChallengesAsync(api);
        Assert.Equal(2, challenges.Length);
        Assert.StartsWith("DPoP algs=", challenges[0], StringComparison.Ordinal);
        Assert.EndsWith(", resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource\"", challenges[0], StringComparison.Ordinal);
        Assert.Equal("Bearer resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource\"", challenges[1]);
    }

    [Fact]
    public async Task Every_refusal_challenge_carries_resource_metadata_not_only_the_one_without_credentials()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "http://localhost" });
        using var key = Arcp.DPoP.Testing.TestKey.Create();
        string token = api.Token(key.Jkt);
        using var response = await api.Client.SendAsync(SecurityApi.Request("/orders", token, SecurityApi.Proof(key, "/elsewhere", token)));
        var problem = await Problem.AssertAsync(response, "dpop-invalid", error: "invalid_dpop_proof");
        string challenge = Assert.Single(response.Headers.WwwAuthenticate).ToString();
        Assert.StartsWith("DPoP error=\"invalid_dpop_proof\", error_description=", challenge, StringComparison.Ordinal);
        Assert.EndsWith(", resource_metadata=\"http://localhost/.well-known/oauth-protected-resource\"", challenge, StringComparison.Ordinal);
        Assert.Equal("/orders", problem.GetProperty("instance").GetString());
    }

    [Fact]
    public async Task Unmapped_no_challenge_names_resource_metadata()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://api.example.com", [Scheme + "Mode"] = "Allowed" }, map: false);
        string[] challenges = await ChallengesAsync(api);
        Assert.Equal(2, challenges.Length);
        Assert.All(challenges, c => Assert.DoesNotContain("resource_metadata", c, StringComparison.Ordinal));
        Assert.Equal("Bearer", challenges[1]);
    }

    [Fact]
    public async Task Authorization_servers_is_the_issuer_the_metadata_publishes_not_the_metadata_url()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://api.example.com" }, configure: o =>
        {
            o.TokenValidationParameters.ValidIssuer = null;
            o.Configuration = new OpenIdConnectConfiguration { Issuer = "https://login.example.com/tenant-7/v2.0" };
        });
        var (response, document) = await GetDocumentAsync(api);
        response.Dispose();
        Assert.Equal(["https://login.example.com/tenant-7/v2.0"], Strings(document, "authorization_servers"));
    }

    [Fact]
    public async Task Configured_authorization_servers_win()
    {
        await using var api = await StartAsync(new()
        {
            [Scheme + "PublicOrigin"] = "https://api.example.com",
            [Scheme + "ResourceMetadata:AuthorizationServers"] = "https://as1.example.com https://as2.example.com",
        });
        var (response, document) = await GetDocumentAsync(api);
        response.Dispose();
        Assert.Equal(["https://as1.example.com", "https://as2.example.com"], Strings(document, "authorization_servers"));
    }

    [Fact]
    public async Task An_unreadable_issuer_metadata_gives_a_document_that_is_not_cached_and_no_500()
    {
        // Nothing listens on port 1: the metadata cannot be read; the document is still served, without that issuer.
        await using var api = await StartAsync(new()
        {
            [Scheme + "PublicOrigin"] = "https://api.example.com",
            [Scheme + "MetadataAddress"] = "http://127.0.0.1:1/.well-known/openid-configuration",
            [Scheme + "RequireHttpsMetadata"] = "false",
        });
        var (response, document) = await GetDocumentAsync(api);
        using (response)
        {
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        Assert.Equal([SecurityApi.Issuer], Strings(document, "authorization_servers"));
    }

    [Theory]
    [InlineData("mcp")]
    [InlineData("/mcp?x=1")]
    [InlineData("ftp://api.example.com")]
    [InlineData("https://api.example.com/#frag")]
    public async Task A_resource_that_is_not_an_identifier_stops_the_application(string resource)
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            StartAsync(new() { [Scheme + "ResourceMetadata:Resource"] = resource }));
        Assert.Contains("ResourceMetadata:Resource", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HEAD_gets_the_headers_and_POST_is_not_served()
    {
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://api.example.com" });
        using var head = await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, WellKnown));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.True(head.Content.Headers.ContentLength > 0);
        using var post = await api.Client.PostAsync(WellKnown, null);
        Assert.NotEqual(HttpStatusCode.OK, post.StatusCode);
    }

    [Fact]
    public async Task Mapping_a_name_that_is_not_a_DPoP_scheme_fails_at_startup()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SecurityApi.StartAsync(new()
        {
            Pipeline = app => app.MapDPoPProtectedResourceMetadata("Partners"),
        }));
        Assert.Contains("'Partners' is not a DPoP authentication scheme", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_issuer_in_the_metadata_is_served_at_once_the_cached_document_is_not_stale()
    {
        var manager = new SwitchingConfigurationManager { Current = new OpenIdConnectConfiguration { Issuer = "https://issuer-a.example" } };
        await using var api = await StartAsync(new() { [Scheme + "PublicOrigin"] = "https://api.example.com" }, configure: o =>
        {
            o.TokenValidationParameters.ValidIssuer = null;
            o.ConfigurationManager = manager;
        });
        var (first, a) = await GetDocumentAsync(api);
        first.Dispose();
        Assert.Equal(["https://issuer-a.example"], Strings(a, "authorization_servers"));

        manager.Current = new OpenIdConnectConfiguration { Issuer = "https://issuer-b.example" }; // the issuer's metadata was refreshed
        var (second, b) = await GetDocumentAsync(api);
        second.Dispose();
        Assert.Equal(["https://issuer-b.example"], Strings(b, "authorization_servers"));
    }

    private sealed class SwitchingConfigurationManager : Microsoft.IdentityModel.Protocols.IConfigurationManager<OpenIdConnectConfiguration>
    {
        public required OpenIdConnectConfiguration Current { get; set; }

        public Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel) => Task.FromResult(Current);

        public void RequestRefresh()
        {
        }
    }
}
