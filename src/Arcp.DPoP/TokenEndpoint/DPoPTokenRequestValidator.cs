using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// The handler's proof steps for a request with no access token (RFC 9449 §5): exactly one <c>DPoP</c> header (step 2),
/// the proof's free checks with the scheme's origin rules (step 3), the nonce, the signature (step 7), and first use
/// in the shared replay cache, last (step 8). Same failures, same order, same stores as <see cref="DPoPHandler"/>.
/// </summary>
internal sealed class DPoPTokenRequestValidator : IDPoPTokenRequestValidator
{
    private readonly IOptionsMonitor<DPoPOptions> _options;
    private readonly DPoPSchemeStates _states;
    private readonly IDPoPReplayCache _replayCache;
    private readonly IDPoPNonceService _nonceService;
    private readonly ILogger _logger;

    public DPoPTokenRequestValidator(IOptionsMonitor<DPoPOptions> options, DPoPSchemeStates states, IDPoPReplayCache replayCache, IDPoPNonceService nonceService, ILogger<DPoPTokenRequestValidator> logger)
    {
        _options = options;
        _states = states;
        _replayCache = replayCache;
        _nonceService = nonceService;
        _logger = logger;
    }

    public ValueTask<DPoPTokenRequestResult> ValidateAsync(HttpContext context) => ValidateAsync(context, DPoPDefaults.AuthenticationScheme);

    public async ValueTask<DPoPTokenRequestResult> ValidateAsync(HttpContext context, string authenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(authenticationScheme);
        var options = _options.Get(authenticationScheme);
        var state = _states.Get(authenticationScheme, options);
        var request = context.Request;

        // Step 2: exactly one DPoP header; a token request without one has nothing to bind the token to.
        var proofHeader = DPoPCredentials.ReadProof(request, options.MaxProofLength, supplied: null);
        ParsedProof? parsed = null;
        var failure = proofHeader.Failure ?? (proofHeader.Value is null ? DPoPFailures.TokenRequestWithoutProof : null);

        // Step 3 (origin, free checks, no ath: there is no access token; then the nonce), step 7, then step 8, last.
        if (failure is null)
        {
            var checkedProof = await DPoPRequestProof.CheckAsync(state, context, authenticationScheme, options, _nonceService, proofHeader.Value!, token: null).ConfigureAwait(false);
            failure = checkedProof.Failure;
            parsed = checkedProof.Value;
        }

        failure ??= DPoPProofValidator.VerifySignature(parsed!);
        if (failure is null)
        {
            state.Validator.Remember(parsed!);
            failure = await DPoPFirstUse.RecordAsync(_replayCache, context, options, parsed!, _logger).ConfigureAwait(false);
        }

        if (failure is not null)
        {
            DPoPLog.TokenRequestRejected(_logger, failure.ProblemType.Slug, failure.Code, failure.Detail, context.TraceIdentifier);
            if (options.RequireNonce && failure.Code != DPoPFailureCode.ReplayCheckUnavailable)
            {
                // Every refusal carries the nonce to use, so the client's next proof can include it (RFC 9449 §8).
                context.Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(context, authenticationScheme, options).ConfigureAwait(false);
            }

            return DPoPTokenRequestResult.Fail(failure, options);
        }

        if (parsed!.RenewNonce)
        {
            // Past half its life: the token response hands out the next nonce (RFC 9449 §8.2).
            context.Response.Headers[DPoPDefaults.NonceHeaderName] = await _nonceService.GetNonceAsync(context, authenticationScheme, options).ConfigureAwait(false);
        }

        var validated = parsed.ToProof();
        DPoPLog.TokenRequestAccepted(_logger, validated.Jkt, validated.Algorithm, context.TraceIdentifier);
        return DPoPTokenRequestResult.Success(validated);
    }
}
