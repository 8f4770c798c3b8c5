using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Arcp.DPoP;

/// <summary>
/// Step 8: the proof's first use, recorded last of all (RFC 9449 §11.1), so that a proof refused for another reason
/// never uses up its <c>jti</c>. The entry lives as long as the proof could be accepted.
/// </summary>
internal static class DPoPFirstUse
{
    // The key of this request's recorded proof in HttpContext.Items: an object no other code can name.
    private static readonly object RecordedProofKey = new();

    /// <summary>
    /// Records the proof's first use, once per request: when another DPoP scheme on the same endpoint already recorded
    /// this very proof for this request, it is not recorded again (which would read as a replay). Nothing else is
    /// skipped: each scheme checks the proof, token, binding and signature itself.
    /// </summary>
    public static async ValueTask<DPoPFailure?> RecordAsync(
        IDPoPReplayCache replayCache, HttpContext context, DPoPOptions options, ParsedProof parsed, ILogger logger, bool mayShareRequest = true)
    {
        // The key's text only where it is needed: a store of another kind, or a second DPoP scheme on this request.
        var memory = replayCache as InMemoryDPoPReplayCache;
        string? replayKey = mayShareRequest || memory is null ? parsed.ReplayKey : null;
        var expiresAt = parsed.IssuedAt + options.ProofLifetime + options.ClockSkew;

        // The record of another scheme counts only if it keeps the proof at least as long as this scheme accepts it;
        // otherwise the proof could be replayed here after the shorter entry expired.
        if (mayShareRequest && context.Items.TryGetValue(RecordedProofKey, out var recorded) && recorded is RecordedProof earlier &&
            string.Equals(earlier.ReplayKey, replayKey, StringComparison.Ordinal) && earlier.ExpiresAt >= expiresAt)
        {
            return null;
        }

        bool firstUse;
        try
        {
            // The in-memory store takes the proof's digest as it is; every proof reaches it through here, so a proof
            // has one entry whichever endpoint (API or token endpoint) sees it first.
            firstUse = memory is not null
                ? memory.TryAddProof(parsed.ReplayDigest, expiresAt)
                : await replayCache.TryAddAsync(replayKey!, expiresAt, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // Fail closed: a proof whose first use cannot be recorded is never accepted.
            DPoPLog.ReplayCacheFailed(logger, context.TraceIdentifier, ex);
            return DPoPFailures.ReplayCheckUnavailable(options.ReplayCheckRetryAfter).WithCause(ex);
        }

        if (!firstUse)
        {
            DPoPLog.ProofReplayed(logger, parsed.Jkt, context.TraceIdentifier);
            return DPoPFailures.Replayed;
        }

        // The proof's freshness was checked at step 3; the token, the application's TokenValidated event and the
        // signature ran since. Were they slower than the ClockSkew the entry outlives the proof by, an earlier use's
        // entry may have expired in between, and this add proves nothing (RFC 9449 §11.1): past expiresAt, the proof is
        // refused as too old, as step 3 would refuse it now.
        var now = options.Clock.GetUtcNow();
        if (now >= expiresAt)
        {
            return DPoPFailures.IatTooOld((now - parsed.IssuedAt).TotalSeconds, options.ProofLifetime.TotalSeconds);
        }

        if (mayShareRequest)
        {
            context.Items[RecordedProofKey] = new RecordedProof(replayKey!, expiresAt); // read only by another DPoP scheme
        }

        return null;
    }

    private sealed record RecordedProof(string ReplayKey, DateTimeOffset ExpiresAt);
}
