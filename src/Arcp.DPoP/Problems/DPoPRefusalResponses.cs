using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arcp.DPoP;

/// <summary>
/// The handler's two answers to a refused request: the 401 challenge (problem document, <c>WWW-Authenticate: DPoP</c>,
/// the next nonce, <c>resource_metadata</c>) and the 403 problem document, each after its event, which may take over.
/// </summary>
internal static class DPoPRefusalResponses
{
    /// <summary>The 401: the failure authentication found (or none: no credentials), as the Challenge event leaves it.</summary>
    public static async Task ChallengeAsync(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, DPoPSchemeState state, DPoPEvents events,
        IDPoPNonceService nonces, AuthenticateResult authenticateResult, AuthenticationProperties properties, TimeProvider timeProvider)
    {
        var failure = (authenticateResult.Failure as DPoPAuthenticationException)?.Failure
            ?? (authenticateResult.Failure is null ? DPoPFailures.NoCredentials : DPoPFailures.NotAuthenticated);
        var challenge = new DPoPChallengeContext(context, scheme, options, properties)
        {
            AuthenticateFailure = authenticateResult.Failure,
            Failure = failure,
            Error = failure.Error,
            ErrorDescription = failure.Detail,
        };
        await events.Challenge(challenge).ConfigureAwait(false);
        if (challenge.Handled || context.Response.HasStarted)
        {
            return;
        }

        failure = challenge.Failure ?? failure;
        string? nonce = options.RequireNonce && !DPoPChallenge.IsUnavailable(failure)
            ? await nonces.GetNonceAsync(context, scheme.Name, options).ConfigureAwait(false)
            : null;

        // RFC 9728 §5.1: where an agent learns how to get a token, when the application maps the metadata.
        string? resourceMetadata = context.RequestServices.GetService<ProtectedResourceMetadataEndpoint>()?.ChallengeUrl(scheme.Name, options, state, context.Request);
        DPoPChallenge.WriteHeaders(context.Response, failure, challenge, state.Validator.AllowedAlgorithms, nonce, resourceMetadata);
        await WriteProblemAsync(context, failure, timeProvider).ConfigureAwait(false);
    }

    /// <summary>The 403, unless the Forbidden event handled it.</summary>
    public static async Task ForbidAsync(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, DPoPEvents events, ILogger logger,
        AuthenticationProperties properties, TimeProvider timeProvider)
    {
        var forbidden = new DPoPForbiddenContext(context, scheme, options, properties);
        await events.Forbidden(forbidden).ConfigureAwait(false);
        if (!forbidden.Handled && !context.Response.HasStarted)
        {
            DPoPLog.Forbidden(logger, context.TraceIdentifier);
            await WriteProblemAsync(context, DPoPFailures.Forbidden, timeProvider).ConfigureAwait(false);
        }
    }

    private static Task WriteProblemAsync(HttpContext context, DPoPFailure failure, TimeProvider timeProvider) =>
        DPoPProblemWriter.WriteAsync(context, DPoPProblemWriter.Create(context, failure, timeProvider));
}
