using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Arcp.DPoP;

/// <summary>
/// Raises the handler's events for one request and turns what they decide into the handler's result, with one rule:
/// an event never bypasses a check that comes after it (issue 11 item 4). MessageReceived, TokenValidated and
/// ProofValidated run on every accepted request, so their contexts are made only when someone observes them
/// (<see cref="DPoPEvents"/>' <c>Observes*</c>, issue 14). A struct made per call: it holds the handler's request state.
/// </summary>
internal readonly struct DPoPEventRaiser
{
    private readonly HttpContext _context;
    private readonly AuthenticationScheme _scheme;
    private readonly DPoPOptions _options;
    private readonly DPoPEvents _events;
    private readonly ILogger _logger;

    public DPoPEventRaiser(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, DPoPEvents events, ILogger logger)
    {
        _context = context;
        _scheme = scheme;
        _options = options;
        _events = events;
        _logger = logger;
    }

    /// <summary>Raised first: the event may supply the token and proof, refuse or decline; <c>Success()</c> does not end authentication.</summary>
    public async ValueTask<(DPoPMessageReceivedContext? Received, AuthenticateResult? Ended)> MessageReceivedAsync()
    {
        if (!_events.ObservesMessageReceived)
        {
            return (null, null);
        }

        var received = new DPoPMessageReceivedContext(_context, _scheme, _options);
        await _events.MessageReceived(received).ConfigureAwait(false);
        return (received, await EndedByEventAsync(received.Result).ConfigureAwait(false));
    }

    /// <summary>
    /// Step 5's event. The principal's jkt is the thumbprint this request proved, and only that (issue 11 item 16): the
    /// token's own jkt claims were removed when it was validated (<see cref="AccessTokenValidator"/>, before it is
    /// cached), so the application never sees one. <c>Success()</c> only supplies the principal and properties: every
    /// check after it still runs.
    /// </summary>
    public async ValueTask<(ClaimsPrincipal Principal, AuthenticationProperties? Properties, AuthenticateResult? Ended)> TokenValidatedAsync(ValidatedToken validated)
    {
        var principal = new ClaimsPrincipal(validated.RequestIdentity());
        if (!_events.ObservesTokenValidated)
        {
            return (principal, null, null);
        }

        var tokenValidated = new DPoPTokenValidatedContext(_context, _scheme, _options, validated.SecurityToken, validated.Jkt)
        {
            Principal = principal,
            Properties = new AuthenticationProperties(),
        };
        await _events.TokenValidated(tokenValidated).ConfigureAwait(false);
        var ended = await EndedByEventAsync(tokenValidated.Result).ConfigureAwait(false);
        return (tokenValidated.Principal ?? principal, tokenValidated.Properties, ended);
    }

    /// <summary>
    /// Raised when every check has run: the event may accept with its own ticket, decline or refuse (its result is
    /// then the handler's), or change the principal and properties.
    /// </summary>
    public async ValueTask<(ClaimsPrincipal Principal, AuthenticationProperties? Properties, AuthenticateResult? Ended)> ProofValidatedAsync(
        ParsedProof parsed, ValidatedToken validated, ClaimsPrincipal principal, AuthenticationProperties? properties)
    {
        if (!_events.ObservesProofValidated)
        {
            return (principal, properties, null);
        }

        var proofValidated = new DPoPProofValidatedContext(_context, _scheme, _options, parsed.ToProof(), validated.SecurityToken)
        {
            Principal = principal,
            Properties = properties ?? new AuthenticationProperties(),
        };
        await _events.ProofValidated(proofValidated).ConfigureAwait(false);
        if (proofValidated.Result is { } proofEvent)
        {
            return (principal, properties, await EndedByEventAsync(proofEvent).ConfigureAwait(false) ?? proofEvent);
        }

        return (proofValidated.Principal ?? principal, proofValidated.Properties, null);
    }

    /// <summary>
    /// An event's result before the last check: a failure or NoResult ends authentication, a Success() does not (issue
    /// 11 item 4). A failure is the application's own DPoPFailure, or a generic one (an exception's text never reaches
    /// the client).
    /// </summary>
    public async ValueTask<AuthenticateResult?> EndedByEventAsync(AuthenticateResult? result) => result switch
    {
        { Failure: DPoPAuthenticationException refused } => await FailAsync(refused.Failure, refused).ConfigureAwait(false),
        { Failure: { } failure } => await FailAsync(DPoPFailures.EventRefused, failure).ConfigureAwait(false),
        { None: true } => result,
        _ => null,
    };

    /// <summary>Refuses the request: logged, then AuthenticationFailed, which may replace the failure or decline.</summary>
    public async Task<AuthenticateResult> FailAsync(DPoPFailure failure, Exception? cause = null)
    {
        var exception = new DPoPAuthenticationException(failure, cause ?? failure.Cause);
        DPoPLog.Rejected(_logger, failure.ProblemType.Slug, failure.Code, failure.Detail, _context.TraceIdentifier);
        var failed = new DPoPAuthenticationFailedContext(_context, _scheme, _options, exception);
        await _events.AuthenticationFailed(failed).ConfigureAwait(false);

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
}
