using System.Diagnostics;

namespace Arcp.DPoP;

/// <summary>
/// Tracing: the <c>Arcp.DPoP</c> <see cref="ActivitySource"/>, one activity per authentication (issue 15 part 7). Its
/// tags say what an operator needs to find a refusal or a slow request — outcome, problem type and failure code, proof
/// algorithm, token-cache hit, replay store kind — and never a secret or a client's identifier: no token, no proof, no
/// <c>jkt</c>, no <c>jti</c> (a thumbprint identifies an agent across requests; logs carry it, traces leave the host).
/// </summary>
/// <remarks>
/// With no listener (no OpenTelemetry <c>AddSource("Arcp.DPoP")</c>, no <see cref="ActivityListener"/>) nothing is
/// made: the handler asks <see cref="ActivitySource.HasListeners"/> first, and every tag is set through a null activity.
/// </remarks>
internal static class DPoPActivity
{
    public const string AuthenticateName = "Arcp.DPoP.Authenticate";

    public const string SchemeTag = "arcp.dpop.scheme";
    public const string OutcomeTag = "arcp.dpop.outcome";
    public const string ProblemTypeTag = "arcp.dpop.problem_type";
    public const string FailureTag = "arcp.dpop.failure";
    public const string AlgorithmTag = "arcp.dpop.algorithm";
    public const string TokenBindingTag = "arcp.dpop.token_binding";
    public const string TokenCacheTag = "arcp.dpop.token_cache";
    public const string ReplayStoreTag = "arcp.dpop.replay_store";

    public static readonly ActivitySource Source = new(DPoPDefaults.ActivitySourceName);

    /// <summary>An activity for one authentication, or null (at no cost) when nobody listens.</summary>
    public static Activity? StartAuthenticate(string scheme)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(AuthenticateName, ActivityKind.Internal);
        activity?.SetTag(SchemeTag, scheme);
        return activity;
    }

    /// <summary>The outcome tags; a refusal that is the server's (a 503: replay store or issuer unreachable) is an error.</summary>
    public static void Complete(Activity activity, Microsoft.AspNetCore.Authentication.AuthenticateResult result, bool proved)
    {
        if (result.Succeeded)
        {
            activity.SetTag(OutcomeTag, "accepted");
            activity.SetTag(TokenBindingTag, proved ? "dpop" : "bearer");
        }
        else if (result.Failure is DPoPAuthenticationException refused)
        {
            activity.SetTag(OutcomeTag, "rejected");
            activity.SetTag(ProblemTypeTag, refused.Failure.ProblemType.Slug);
            activity.SetTag(FailureTag, refused.Failure.Code.ToString());
            if (refused.Failure.ProblemType.Status >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error, refused.Failure.ProblemType.Slug);
            }
        }
        else
        {
            activity.SetTag(OutcomeTag, result.None ? "no_result" : "rejected");
        }
    }

    /// <summary>The replay store's kind, as a short name (<c>InMemory</c>, <c>Redis</c>, or the type's name).</summary>
    public static string StoreKind(IDPoPReplayCache store)
    {
        string name = store.GetType().Name;
        return name.EndsWith("DPoPReplayCache", StringComparison.Ordinal) && name.Length > "DPoPReplayCache".Length
            ? name[..^"DPoPReplayCache".Length]
            : name;
    }
}
