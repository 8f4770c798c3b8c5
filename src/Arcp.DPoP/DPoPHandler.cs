using System.Diagnostics;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// Authenticates requests that carry a DPoP-bound access token and a DPoP proof (RFC 9449), and answers every
/// refusal with an ARCP problem document and a <c>WWW-Authenticate: DPoP</c> challenge.
/// </summary>
/// <remarks>
/// The handler orchestrates, as JwtBearer's does: each step is a named call, numbered as in docs/architecture.md —
/// 1-2 the credentials (<c>DPoPCredentials</c>), 3 the proof's checks that cost no signature
/// (<see cref="DPoPProofValidator"/>, the nonce), 4 the access token (<c>AccessTokenValidator</c>,
/// <see cref="DPoPOptions.TokenHandler"/>), 5-6 the binding (<c>DPoPBinding</c>), 7 the proof's signature, 8 first use
/// (<see cref="IDPoPReplayCache"/>), last, so that a proof refused for another reason never uses up its <c>jti</c>.
/// An event is raised at each decision; failures are values (<see cref="DPoPFailure"/>), never exceptions.
/// </remarks>
public class DPoPHandler : AuthenticationHandler<DPoPOptions>
{
    private readonly IDPoPReplayCache _replayCache;
    private readonly IDPoPNonceService _nonceService;

    /// <summary>Creates the handler.</summary>
    /// <param name="options">The scheme options.</param>
    /// <param name="logger">The logger factory.</param>
    /// <param name="encoder">The URL encoder.</param>
    /// <param name="replayCache">The store that records used proofs.</param>
    /// <param name="nonceService">Issues and checks server nonces when <see cref="DPoPOptions.RequireNonce"/> is on.</param>
    public DPoPHandler(IOptionsMonitor<DPoPOptions> options, ILoggerFactory logger, UrlEncoder encoder, IDPoPReplayCache replayCache, IDPoPNonceService nonceService)
        : base(options, logger, encoder)
    {
        _replayCache = replayCache;
        _nonceService = nonceService;
    }

    /// <summary>The events of the scheme.</summary>
    protected new DPoPEvents Events
    {
        get => (DPoPEvents)base.Events!;
        set => base.Events = value;
    }

    private DPoPSchemeState? _state;

    // The events of this request, raised with its context (a struct: nothing allocated to raise them).
    private DPoPEventRaiser Raise => new(Context, Scheme, Options, Events, Logger);

    // What the scheme builds from its options (validator, caches, token validation parameters), shared by its requests.
    private DPoPSchemeState State => _state ??= Context.RequestServices.GetRequiredService<DPoPSchemeStates>().Get(Scheme.Name, Options);

    /// <inheritdoc />
    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new DPoPEvents());

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        long started = Stopwatch.GetTimestamp();
        using var activity = DPoPActivity.StartAuthenticate(Scheme.Name);
        var result = await AuthenticateAsyncCore(activity).ConfigureAwait(false);
        if (activity is not null)
        {
            DPoPActivity.Complete(activity, result, _proved);
        }

        State.Metrics?.Record(Scheme.Name, result, _proved, Stopwatch.GetElapsedTime(started).TotalSeconds);
        return result;
    }

    // Whether the accepted request proved possession of the key its token is bound to (metrics' and trace's token_binding).
    private bool _proved;

    // The steps, cheapest first, numbered as in docs/architecture.md and the README's "What is checked, in order".
    private async ValueTask<AuthenticateResult> AuthenticateAsyncCore(Activity? activity)
    {
        // Events supply or refuse, never accept early: a Success() here does not end authentication (issue 11 item 4).
        // An event left as it is costs nothing: its context is made only when someone handles it (issue 14).
        var (messageReceived, receivedEnded) = await Raise.MessageReceivedAsync().ConfigureAwait(false);
        if (receivedEnded is not null)
        {
            return receivedEnded;
        }

        var state = State;

        // 1. Authorization: DPoP <token> (RFC 9449 §7.1), or Bearer <token> from clients that send it so.
        var authorization = DPoPCredentials.ReadAuthorization(Request, messageReceived?.Token);
        if (authorization.Failure is { } authorizationFailure)
        {
            return await FailAsync(authorizationFailure).ConfigureAwait(false);
        }

        var token = authorization.Value.Token;
        if (token.IsEmpty)
        {
            if (Logger.IsEnabled(LogLevel.Debug))
            {
                DPoPLog.NoCredentials(Logger, Context.TraceIdentifier); // TraceIdentifier makes a string: only when logged
            }

            return AuthenticateResult.NoResult();
        }

        // 2. Exactly one DPoP header (RFC 9449 §4.3 item 1).
        var proofHeader = DPoPCredentials.ReadProof(Request, Options.MaxProofLength, messageReceived?.Proof);
        if (proofHeader.Failure is { } proofHeaderFailure)
        {
            return await FailAsync(proofHeaderFailure).ConfigureAwait(false);
        }

        // 3. The proof's checks that cost no signature: structure, header, claims, htm, htu, iat, ath, then the nonce.
        ParsedProof? parsed = null;
        if (proofHeader.Value is { } proof)
        {
            var checkedProof = await CheckProofAsync(state, proof, token).ConfigureAwait(false);
            if (checkedProof.Failure is { } proofFailure)
            {
                return await FailAsync(proofFailure).ConfigureAwait(false);
            }

            parsed = checkedProof.Value;
            activity?.SetTag(DPoPActivity.AlgorithmTag, parsed!.Algorithm!.Name);
        }

        // 4. The access token itself.
        var tokenResult = await AccessTokenValidator.ValidateAsync(Context, Options, state, Logger, token).ConfigureAwait(false);
        if (activity is not null && state.TokenCache is not null && tokenResult.Value is { } forTrace)
        {
            activity.SetTag(DPoPActivity.TokenCacheTag, forTrace.FromCache ? "hit" : "miss");
        }

        if (tokenResult.Value is not { } validated)
        {
            return await FailAsync(tokenResult.Failure!).ConfigureAwait(false);
        }

        // 5. Its cnf.jkt: bound, sent with the DPoP scheme and with its proof (RFC 9449 §6.1, §7.2). A cnf this API
        //    cannot check is never an unbound token (issue 11 item 3): only a token with no cnf at all is.
        string? jkt = validated.Jkt;
        if ((validated.ConfirmationFailure ?? DPoPBinding.CheckPresentation(jkt, parsed is not null, authorization.Value.DPoPScheme, Options)) is { } bindingRule)
        {
            return await FailAsync(bindingRule).ConfigureAwait(false);
        }

        var (principal, eventProperties, tokenEvent) = await Raise.TokenValidatedAsync(validated).ConfigureAwait(false);
        if (tokenEvent is not null)
        {
            return tokenEvent; // a Success() there only supplies the principal and properties: every check below still runs
        }

        var properties = StoreToken(eventProperties, token, jkt);
        if (parsed is null)
        {
            // Mode Allowed: a token with no cnf and no proof is a plain bearer token.
            DPoPBinding.RemoveJktClaims(principal);
            DPoPLog.BearerAccepted(Logger, Context.TraceIdentifier);
            return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
        }

        // 6. The binding, before the signature: a proof signed with a key the token is not bound to never costs a
        //    public-key operation (RFC 9449 §6.1).
        if (jkt is not null && DPoPBinding.CheckThumbprint(parsed.Jkt, jkt) is { } bindingFailure)
        {
            DPoPLog.BindingMismatch(Logger, jkt, parsed.Jkt, Context.TraceIdentifier);
            return await FailAsync(bindingFailure).ConfigureAwait(false);
        }

        // 7. The signature, with the proof's own key (the key must first import: on its curve, a usable modulus).
        if (DPoPProofValidator.VerifySignature(parsed) is { } signatureFailure)
        {
            return await FailAsync(signatureFailure).ConfigureAwait(false);
        }

        state.Validator.Remember(parsed);

        // 8. First use, last of all (RFC 9449 §11.1).
        activity?.SetTag(DPoPActivity.ReplayStoreTag, DPoPActivity.StoreKind(_replayCache));
        if (await DPoPFirstUse.RecordAsync(_replayCache, Context, Options, parsed, Logger, state.MayShareRequests).ConfigureAwait(false) is { } replayFailure)
        {
            return await FailAsync(replayFailure).ConfigureAwait(false);
        }

        // Then success: the principal carries the proved jkt; the ProofValidated event has the last word.
        return await SucceedAsync(parsed, jkt, validated, principal, properties).ConfigureAwait(false);
    }

    // SaveToken: the token and its type in the ticket's properties (made here when no event made them).
    private AuthenticationProperties? StoreToken(AuthenticationProperties? properties, ReadOnlyMemory<char> token, string? jkt)
    {
        if (Options.SaveToken)
        {
            properties ??= new AuthenticationProperties();
            properties.StoreTokens(
            [
                new AuthenticationToken { Name = "access_token", Value = token.ToString() },
                new AuthenticationToken { Name = "token_type", Value = jkt is null ? DPoPDefaults.BearerAuthorizationScheme : DPoPDefaults.AuthorizationScheme },
            ]);
        }

        return properties;
    }

    private async ValueTask<AuthenticateResult> SucceedAsync(ParsedProof parsed, string? jkt, ValidatedToken validated, ClaimsPrincipal principal, AuthenticationProperties? properties)
    {
        DPoPBinding.SetJktClaim(principal, jkt, ClaimsIssuer);
        _proved = jkt is not null;

        // Every check has run: the event may accept (its ticket is used), decline or refuse.
        (principal, properties, var proofEvent) = await Raise.ProofValidatedAsync(parsed, validated, principal, properties).ConfigureAwait(false);
        if (proofEvent is not null)
        {
            return proofEvent;
        }

        if (parsed.RenewNonce)
        {
            // The proof's nonce is past half its life: hand out the next one before it expires (RFC 9449 §8.2).
            Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(Context, Scheme.Name, Options).ConfigureAwait(false);
        }

        if (Logger.IsEnabled(LogLevel.Debug))
        {
            DPoPLog.Accepted(Logger, parsed.Jkt, parsed.Algorithm!.Name, Context.TraceIdentifier); // TraceIdentifier makes a string: only when logged
        }

        return AuthenticateResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
    }

    // Step 3, shared with the token endpoint validator: the htu's origin must be PublicOrigin or a Host the application
    // vouches for (issue 11 item 2), then the validator's checks that cost no signature, then the server nonce.
    private ValueTask<DPoPResult<ParsedProof>> CheckProofAsync(DPoPSchemeState state, string proof, ReadOnlyMemory<char> token) =>
        DPoPRequestProof.CheckAsync(state, Context, Scheme.Name, Options, _nonceService, proof, token);

    private Task<AuthenticateResult> FailAsync(DPoPFailure failure) => Raise.FailAsync(failure);

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await DPoPRefusalResponses.ChallengeAsync(Context, Scheme, Options, State, Events, _nonceService,
            await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false), properties, TimeProvider).ConfigureAwait(false);

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        DPoPRefusalResponses.ForbidAsync(Context, Scheme, Options, Events, Logger, properties, TimeProvider);
}
