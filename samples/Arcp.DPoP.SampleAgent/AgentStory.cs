using System.Buffers.Text;
using System.Net;
using System.Text.Json;
using Arcp.DPoP.Client;

namespace Arcp.DPoP.SampleAgent;

/// <summary>
/// The story of ARCP's "DPoP Key Mismatch" page, told against a DPoP-protected API whose authorization server it
/// discovers from the API's URL alone (RFC 9728, then RFC 8414): a token bound to key A works; rotating to key B but keeping the token is a key mismatch; a replayed proof is
/// refused; a new token for key B works again.
/// </summary>
public sealed class AgentStory
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Uri _api;
    private readonly HttpMessageHandler _transport;
    private readonly StoryWriter _out;
    private readonly string _algorithm;

    /// <param name="api">The API's base address.</param>
    /// <param name="transport">How to reach it (sockets, or an in-memory test server).</param>
    /// <param name="output">Where the story is told.</param>
    /// <param name="algorithm">The preferred proof algorithm of the agent's keys: EdDSA (Ed25519, what ARCP agents use) by
    /// default, or any of <see cref="DPoPKey.SupportedAlgorithms"/>; another one both servers accept when they do not.</param>
    public AgentStory(Uri api, HttpMessageHandler transport, StoryWriter output, string algorithm = "EdDSA")
    {
        _api = api;
        _transport = transport;
        _out = output;
        _algorithm = algorithm;
    }

    /// <summary>
    /// The sockets transport the agent uses over the network. It follows no redirects itself: the
    /// <see cref="DPoPMessageHandler"/> above it follows them, signing only same-origin hops, and a transport that
    /// already sent requests (the token request here) can no longer be handed to it otherwise.
    /// </summary>
    public static SocketsHttpHandler CreateSocketsTransport() => new() { AllowAutoRedirect = false };

    /// <summary>Tells the story; <see langword="true"/> when every step went as it should.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellationToken = default)
    {
        bool ok = true;
        var register = new Uri(_api, "/agents/register");
        using var plain = new HttpClient(_transport, disposeHandler: false) { BaseAddress = _api };

        // The agent knows only the API's URL: the issuer, its token endpoint and the algorithm all come from discovery.
        if (await DiscoverAsync(plain, register, cancellationToken) is not { } discovered)
        {
            _out.Step("Something did not go as it should (see above).");
            return false;
        }

        var (tokenEndpoint, algorithm) = discovered;

        using var session = new DPoPSession(DPoPKey.Generate(algorithm));
        using var signed = new HttpClient(new DPoPMessageHandler(session) { InnerHandler = _transport }, disposeHandler: false) { BaseAddress = _api };

        _out.Step("The agent makes key A and gets a token bound to it");
        var keyA = session.Key;
        _out.Info($"key A: {keyA.Algorithm}, thumbprint (jkt) {keyA.Thumbprint}");
        string tokenA = await session.RequestTokenAsync(plain, tokenEndpoint, [new("client_id", "sample-agent")], cancellationToken);
        _out.Good($"token from {tokenEndpoint.AbsolutePath}, cnf.jkt {ConfirmationThumbprint(tokenA)}");

        _out.Step("It registers, with a fresh proof signed by key A");
        string? replayableProof = null;
        using (var request = new HttpRequestMessage(HttpMethod.Post, register))
        using (var response = await signed.SendAsync(request, cancellationToken))
        {
            replayableProof = request.Headers.GetValues("DPoP").Single();
            ok &= await ExpectAsync(response, HttpStatusCode.OK, null, cancellationToken);
        }

        _out.Step("It rotates to key B but keeps the token bound to key A");
        var keyB = session.RotateKey();
        _out.Info($"key B: thumbprint {keyB.Thumbprint}");
        try
        {
            session.CreateProof(HttpMethod.Post, register);
            _out.Bad("the session signed with key B for key A's token");
            ok = false;
        }
        catch (InvalidOperationException ex)
        {
            _out.Refused("DPoPSession will not sign with key B for key A's token: " + ex.Message);
        }

        _out.Info("A hand-rolled agent signs anyway, with key B, and sends key A's token:");
        using (var request = new HttpRequestMessage(HttpMethod.Post, register))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + tokenA);
            request.Headers.TryAddWithoutValidation("DPoP", new DPoPProofFactory().CreateProof(keyB, "POST", register, tokenA));
            using var response = await plain.SendAsync(request, cancellationToken);
            ok &= await ExpectAsync(response, HttpStatusCode.Unauthorized, DPoPProblem.BindingMismatch, cancellationToken);
        }

        _out.Step("An attacker replays the proof of step 2 with the stolen token");
        using (var request = new HttpRequestMessage(HttpMethod.Post, register))
        {
            request.Headers.TryAddWithoutValidation("Authorization", "DPoP " + tokenA);
            request.Headers.TryAddWithoutValidation("DPoP", replayableProof);
            using var response = await plain.SendAsync(request, cancellationToken);
            ok &= await ExpectAsync(response, HttpStatusCode.Unauthorized, DPoPProblem.DPoPInvalid, cancellationToken);
        }

        _out.Step("The fix: a new token for key B");
        string tokenB = await session.RequestTokenAsync(plain, tokenEndpoint, [new("client_id", "sample-agent")], cancellationToken);
        _out.Good($"new token, cnf.jkt {ConfirmationThumbprint(tokenB)} = key B {keyB.Thumbprint}");
        using (var response = await signed.PostAsync(register, null, cancellationToken))
        {
            ok &= await ExpectAsync(response, HttpStatusCode.OK, null, cancellationToken);
        }

        _out.Step(ok ? "The story went as it should." : "Something did not go as it should (see above).");
        return ok;
    }

    // RFC 9728: an agent that knows only the API's URL learns, from the API itself, which issuer to ask and which
    // proof algorithms to sign with. The 401's challenge points to the document (resource_metadata, §5.1); the client
    // uses it only if it describes the resource asked about (§3.3). Then RFC 8414: the issuer's own metadata names its
    // token endpoint and the algorithms it accepts, and is used only if its issuer is the one asked about (§3.3).
    private async Task<(Uri TokenEndpoint, string Algorithm)?> DiscoverAsync(HttpClient plain, Uri register, CancellationToken cancellationToken)
    {
        _out.Step("The agent knows only the API's URL: it calls it without a token, and the 401 says where to look");
        using var response = await plain.PostAsync(register, null, cancellationToken);
        var problem = await DPoPProblem.ReadAsync(response, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || problem?.ResourceMetadata is not { } metadataUrl)
        {
            _out.Bad($"expected a 401 whose challenge has resource_metadata, got {(int)response.StatusCode}");
            return null;
        }

        _out.Refused($"{(int)response.StatusCode} {problem.Title}");
        _out.Info("resource_metadata: " + metadataUrl);
        var metadata = await DPoPResourceMetadata.GetFromAsync(plain, _api, metadataUrl, cancellationToken);
        _out.Good($"protected resource metadata (RFC 9728) of {metadata.Resource}{(metadata.ResourceName is { } name ? $" ({name})" : string.Empty)}");
        _out.Info("authorization servers: " + string.Join(", ", metadata.AuthorizationServers));
        _out.Info("proof algorithms: " + string.Join(' ', metadata.DPoPSigningAlgValuesSupported));
        _out.Info($"DPoP-bound tokens required: {(metadata.DPoPBoundAccessTokensRequired ? "yes" : "no")}" +
            (metadata.ScopesSupported.Count > 0 ? "; scopes: " + string.Join(' ', metadata.ScopesSupported) : string.Empty));
        if (metadata.AuthorizationServers.Count == 0)
        {
            _out.Bad("the API names no authorization server to ask for a token");
            return null;
        }

        _out.Step("It reads the first authorization server's metadata (RFC 8414) for its token endpoint");
        var issuer = await DPoPAuthorizationServerMetadata.GetForResourceAsync(plain, metadata, metadata.AuthorizationServers[0], cancellationToken);
        _out.Good($"authorization server metadata of {issuer.Issuer}");
        _out.Info("token_endpoint: " + issuer.TokenEndpoint);
        _out.Info("its proof algorithms: " + string.Join(' ', issuer.DPoPSigningAlgValuesSupported));

        // An algorithm both servers accept and the agent can sign with; the agent's preference first (RFC 9449 §5.1, RFC 9728 §2).
        var usable = issuer.DPoPSigningAlgValuesSupported
            .Where(a => DPoPKey.SupportedAlgorithms.Contains(a, StringComparer.Ordinal))
            .Where(a => metadata.DPoPSigningAlgValuesSupported.Count == 0 || metadata.DPoPSigningAlgValuesSupported.Contains(a, StringComparer.Ordinal))
            .ToList();
        if (usable.Count == 0)
        {
            _out.Bad("no proof algorithm is accepted by both the API and its authorization server that the agent can sign with");
            return null;
        }

        string algorithm = usable.Contains(_algorithm, StringComparer.Ordinal) ? _algorithm : usable[0];
        _out.Good(algorithm == _algorithm ? $"both accept {algorithm}, the agent's algorithm" : $"{_algorithm} is not accepted by both: the agent signs with {algorithm}");
        return (issuer.TokenEndpoint, algorithm);
    }

    private async Task<bool> ExpectAsync(HttpResponseMessage response, HttpStatusCode status, string? slug, CancellationToken cancellationToken)
    {
        string body = await response.Content.ReadAsStringAsync(cancellationToken);
        string shown = Pretty(body);
        if (response.StatusCode == HttpStatusCode.OK && status == HttpStatusCode.OK)
        {
            _out.Good($"{(int)response.StatusCode} {response.StatusCode}");
            _out.Block(shown);
            return true;
        }

        var problem = DPoPProblem.Parse(body);
        if (response.StatusCode == status && problem?.Slug == slug)
        {
            _out.Refused($"{(int)response.StatusCode} {problem!.Title}: {problem.Detail}");
            foreach (var challenge in response.Headers.WwwAuthenticate)
            {
                _out.Info("WWW-Authenticate: " + challenge);
            }

            _out.Block(shown);
            return true;
        }

        _out.Bad($"expected {(int)status} {slug ?? string.Empty}, got {(int)response.StatusCode}");
        _out.Block(shown);
        return false;
    }

    private static string Pretty(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string? ConfirmationThumbprint(string token)
    {
        string[] parts = token.Split('.');
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        return payload.RootElement.GetProperty("cnf").GetProperty("jkt").GetString();
    }
}
