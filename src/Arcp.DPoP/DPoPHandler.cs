using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Net.Http.Headers;

namespace Arcp.DPoP;

/// <summary>
/// Authenticates requests that carry a DPoP-bound access token and a DPoP proof (RFC 9449), and answers every
/// refusal with an ARCP problem document and a <c>WWW-Authenticate: DPoP</c> challenge.
/// </summary>
/// <remarks>
/// The handler orchestrates; the checks live in <see cref="DPoPProofValidator"/> (the proof), the configured
/// <see cref="DPoPOptions.TokenHandler"/> (the access token) and <see cref="IDPoPReplayCache"/> (first use).
/// Order: headers, the proof's free checks, the token, the proof signature, the binding, then replay, last,
/// so that a proof refused for another reason never uses up its <c>jti</c>.
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

        if (State.Metrics is { } metrics)
        {
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (result.Succeeded)
            {
                metrics.Accepted(Scheme.Name, _proved, seconds);
            }
            else if (result.Failure is DPoPAuthenticationException refused)
            {
                metrics.Rejected(Scheme.Name, refused.Failure, seconds);
            }
        }

        return result;
    }

    // Whether the accepted request proved possession of the key its token is bound to (the metrics' token_binding).
    private bool _proved;

    // The steps, cheapest first, numbered as in docs/architecture.md and the README's "What is checked, in order".
    private async ValueTask<AuthenticateResult> AuthenticateAsyncCore(Activity? activity)
    {
        // Events supply or refuse, never accept early: a Success() here does not end authentication (issue 11 item 4).
        // An event left as it is costs nothing: its context is made only when someone handles it.
        ReadOnlyMemory<char> token = default;
        string? proof = null;
        if (Events.ObservesMessageReceived)
        {
            var messageReceived = new DPoPMessageReceivedContext(Context, Scheme, Options);
            await Events.MessageReceived(messageReceived).ConfigureAwait(false);
            if (messageReceived.Result is { } received)
            {
                if (received.Failure is not null)
                {
                    return await FailAsync(FromEvent(received.Failure), received.Failure).ConfigureAwait(false);
                }

                if (received.None)
                {
                    return received;
                }
            }

            token = messageReceived.Token.AsMemory();
            proof = messageReceived.Proof;
        }

        var state = State;

        // 1. Authorization: DPoP <token> (RFC 9449 §7.1), or Bearer <token> from clients that send it so.
        bool dpopScheme = true;
        if (token.IsEmpty)
        {
            bool ours = DPoPCredentials.TryReadAuthorization(Request, out token, out dpopScheme, out var authorizationFailure);
            if (authorizationFailure is not null)
            {
                return await FailAsync(authorizationFailure).ConfigureAwait(false);
            }

            if (!ours)
            {
                if (Logger.IsEnabled(LogLevel.Debug))
                {
                    DPoPLog.NoCredentials(Logger, Context.TraceIdentifier); // TraceIdentifier makes a string: only when logged
                }

                return AuthenticateResult.NoResult();
            }
        }

        // 2. Exactly one DPoP header (RFC 9449 §4.3 item 1).
        if (DPoPCredentials.ReadProof(Request, Options.MaxProofLength, ref proof) is { } proofHeaderFailure)
        {
            return await FailAsync(proofHeaderFailure).ConfigureAwait(false);
        }

        // 3. The proof's checks that cost no signature: structure, header, claims, htm, htu, iat, ath, then the nonce.
        ParsedProof? parsed = null;
        if (proof is not null)
        {
            if (ParseProof(state, proof, token, out parsed) is { } proofFailure)
            {
                return await FailAsync(proofFailure).ConfigureAwait(false);
            }

            activity?.SetTag(DPoPActivity.AlgorithmTag, parsed!.Algorithm!.Name);

            if (Options.RequireNonce && await DPoPNonceCheck.CheckAsync(_nonceService, Context, Scheme.Name, Options, parsed!).ConfigureAwait(false) is { } nonceFailure)
            {
                return await FailAsync(nonceFailure).ConfigureAwait(false);
            }
        }

        // 4. The access token itself.
        var tokenResult = await AccessTokenValidator.ValidateAsync(Context, Options, state, Logger, token).ConfigureAwait(false);
        if (activity is not null && state.TokenCache is not null)
        {
            activity.SetTag(DPoPActivity.TokenCacheTag, tokenResult.FromCache ? "hit" : "miss");
        }

        if (tokenResult.Token is not { } validated)
        {
            return await FailAsync(tokenResult.Failure!, tokenResult.Cause).ConfigureAwait(false);
        }

        // 5. Its cnf.jkt: bound, sent with the DPoP scheme and with its proof (RFC 9449 §6.1, §7.2). A cnf this API
        //    cannot check is never an unbound token (issue 11 item 3): only a token with no cnf at all is.
        if (validated.ConfirmationFailure is { } confirmationFailure)
        {
            return await FailAsync(confirmationFailure).ConfigureAwait(false);
        }

        string? jkt = validated.Jkt;
        if (DPoPBinding.CheckPresentation(jkt, parsed is not null, dpopScheme, Options) is { } presentationFailure)
        {
            return await FailAsync(presentationFailure).ConfigureAwait(false);
        }

        // The principal's jkt is the thumbprint this request proved, and only that (issue 11 item 16): the token's own
        // jkt claims were removed when it was validated (AccessTokenValidator), an event's are removed below.
        var principal = new ClaimsPrincipal(validated.Identity);
        AuthenticationProperties? properties = null;
        bool tokenEventRaised = Events.ObservesTokenValidated;
        if (tokenEventRaised)
        {
            var tokenValidated = new DPoPTokenValidatedContext(Context, Scheme, Options, validated.SecurityToken, jkt)
            {
                Principal = principal,
                Properties = new AuthenticationProperties(),
            };
            await Events.TokenValidated(tokenValidated).ConfigureAwait(false);
            if (tokenValidated.Result is { } tokenEvent)
            {
                if (tokenEvent.Failure is not null)
                {
                    return await FailAsync(FromEvent(tokenEvent.Failure), tokenEvent.Failure).ConfigureAwait(false);
                }

                if (tokenEvent.None)
                {
                    return tokenEvent;
                }

                // Success(): the event's principal and properties are used, and every check below still runs.
            }

            principal = tokenValidated.Principal ?? principal;
            properties = tokenValidated.Properties;
        }

        properties ??= new AuthenticationProperties();
        if (Options.SaveToken)
        {
            properties.StoreTokens(
            [
                new AuthenticationToken { Name = "access_token", Value = token.ToString() },
                new AuthenticationToken { Name = "token_type", Value = jkt is null ? DPoPDefaults.BearerAuthorizationScheme : DPoPDefaults.AuthorizationScheme },
            ]);
        }

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
        var replay = await DPoPFirstUse.RecordAsync(_replayCache, Context, Options, parsed, Logger, state.MayShareRequests).ConfigureAwait(false);
        if (replay.Failure is not null)
        {
            return await FailAsync(replay.Failure, replay.Cause).ConfigureAwait(false);
        }

        // Then success: the principal carries the proved jkt; the ProofValidated event has the last word.
        return await SucceedAsync(parsed, jkt, validated, principal, properties, tokenEventRaised).ConfigureAwait(false);
    }

    private async ValueTask<AuthenticateResult> SucceedAsync(ParsedProof parsed, string? jkt, ValidatedToken validated, ClaimsPrincipal principal, AuthenticationProperties properties, bool tokenEventRaised)
    {
        if (tokenEventRaised)
        {
            DPoPBinding.RemoveJktClaims(principal); // an event's principal brings no jkt of its own
        }

        if (jkt is not null && principal.Identity is ClaimsIdentity claimsIdentity)
        {
            claimsIdentity.AddClaim(new Claim(DPoPDefaults.JktClaimType, jkt, ClaimValueTypes.String, ClaimsIssuer));
        }

        _proved = jkt is not null;
        if (Events.ObservesProofValidated)
        {
            var proofValidated = new DPoPProofValidatedContext(Context, Scheme, Options, parsed.ToProof(), validated.SecurityToken)
            {
                Principal = principal,
                Properties = properties,
            };
            await Events.ProofValidated(proofValidated).ConfigureAwait(false);
            if (proofValidated.Result is { } proofEvent)
            {
                // Every check has run: the event may accept (its ticket is used), decline or refuse.
                if (proofEvent.Failure is not null)
                {
                    return await FailAsync(FromEvent(proofEvent.Failure), proofEvent.Failure).ConfigureAwait(false);
                }

                return proofEvent;
            }

            principal = proofValidated.Principal ?? principal;
            properties = proofValidated.Properties;
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

    // Step 3 without the nonce: the htu's origin must be PublicOrigin or a Host the application vouches for (issue 11
    // item 2), then the validator's checks that cost no signature.
    private DPoPFailure? ParseProof(DPoPSchemeState state, string proof, ReadOnlyMemory<char> token, out ParsedProof? parsed)
    {
        parsed = null;
        if (state.HostPolicy is not { } hostPolicy || !hostPolicy.Allows(Request.Host, Request.Scheme, Context.Connection.LocalPort))
        {
            return new(DPoPFailureCode.HtuMismatch, $"The request's Host '{QuotedValue.ForDetail(Request.Host.Value)}' is not one this API serves, so no htu can match; send the request to this API's own address.");
        }

        if (!state.Validator.TryGetRequestHtu(Request, out string expectedHtu, out var htuFailure))
        {
            return htuFailure;
        }

        parsed = state.Validator.Parse(proof, Request.Method, expectedHtu, token, out var proofFailure);
        return parsed is null ? proofFailure : null;
    }

    // A failure set by an event: the application's own DPoPFailure, or a generic one (an exception's text never reaches the client).
    private static DPoPFailure FromEvent(Exception failure) => failure is DPoPAuthenticationException refused
        ? refused.Failure
        : EventRefused;

    private static readonly DPoPFailure EventRefused = new(DPoPFailureCode.TokenInvalid, "The application refused this request's credentials.");

    private async ValueTask<AuthenticateResult> FailAsync(DPoPFailure failure, Exception? cause = null)
    {
        var exception = new DPoPAuthenticationException(failure, cause);
        DPoPLog.Rejected(Logger, failure.ProblemType.Slug, failure.Code, failure.Detail, Context.TraceIdentifier);
        var failed = new DPoPAuthenticationFailedContext(Context, Scheme, Options, exception);
        await Events.AuthenticationFailed(failed).ConfigureAwait(false);

        // The event may replace the failure or decline to answer (NoResult), never turn it into a success: a Success()
        // here would skip the check that failed (issue 11 item 4).
        return failed.Result switch
        {
            { Failure: DPoPAuthenticationException replaced } => AuthenticateResult.Fail(replaced),
            { Failure: { } other } => AuthenticateResult.Fail(new DPoPAuthenticationException(failure, other)),
            { None: true } => AuthenticateResult.NoResult(),
            _ => AuthenticateResult.Fail(exception),
        };
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var authenticateResult = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        var failure = (authenticateResult.Failure as DPoPAuthenticationException)?.Failure
            ?? (authenticateResult.Failure is null ? DPoPChallenge.NoCredentials : DPoPChallenge.NotAuthenticated);

        var challenge = new DPoPChallengeContext(Context, Scheme, Options, properties)
        {
            AuthenticateFailure = authenticateResult.Failure,
            Failure = failure,
            Error = failure.Error,
            ErrorDescription = failure.Detail,
        };
        await Events.Challenge(challenge).ConfigureAwait(false);
        if (challenge.Handled || Response.HasStarted)
        {
            return;
        }

        failure = challenge.Failure ?? failure;
        if (failure.ProblemType.Status == StatusCodes.Status503ServiceUnavailable)
        {
            // Not a credential problem: no challenge, just when to come back.
            Response.Headers.RetryAfter = ((long)Math.Ceiling(Options.ReplayCheckRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            Response.Headers.Append(HeaderNames.WWWAuthenticate, DPoPChallenge.Build(challenge.Error, challenge.ErrorDescription, State.Validator.AllowedAlgorithms));
            if (Options.Mode == DPoPMode.Allowed && failure.Code == DPoPFailureCode.NoCredentials)
            {
                Response.Headers.Append(HeaderNames.WWWAuthenticate, DPoPDefaults.BearerAuthorizationScheme);
            }

            if (Options.RequireNonce)
            {
                // Every 401 carries a nonce, so the client's next proof can include it (RFC 9449 §9).
                Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(Context, Scheme.Name, Options).ConfigureAwait(false);
            }
        }

        await DPoPProblemWriter.WriteAsync(Context, DPoPProblemWriter.Create(Context, failure, TimeProvider)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var forbidden = new DPoPForbiddenContext(Context, Scheme, Options, properties);
        await Events.Forbidden(forbidden).ConfigureAwait(false);
        if (forbidden.Handled || Response.HasStarted)
        {
            return;
        }

        DPoPLog.Forbidden(Logger, Context.TraceIdentifier);
        var failure = DPoPChallenge.Forbidden;
        await DPoPProblemWriter.WriteAsync(Context, DPoPProblemWriter.Create(Context, failure, TimeProvider)).ConfigureAwait(false);
    }
}
