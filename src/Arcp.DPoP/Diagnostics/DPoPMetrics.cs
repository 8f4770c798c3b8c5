using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Authentication;

namespace Arcp.DPoP;

/// <summary>
/// The instruments of the <c>Arcp.DPoP</c> meter: requests accepted, requests rejected by ARCP problem type,
/// and the time authentication took.
/// </summary>
internal sealed class DPoPMetrics
{
    public const string AcceptedName = "arcp.dpop.accepted";
    public const string RejectedName = "arcp.dpop.rejected";
    public const string DurationName = "arcp.dpop.authentication.duration";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _duration;

    public DPoPMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(DPoPDefaults.MeterName);
        _accepted = meter.CreateCounter<long>(AcceptedName, "{request}", "Requests whose access token and DPoP proof were accepted.");
        _rejected = meter.CreateCounter<long>(RejectedName, "{request}", "Requests refused, by ARCP problem type and failure code.");
        _duration = meter.CreateHistogram<double>(DurationName, "s", "Time spent authenticating a request (token, proof, binding, replay).");
    }

    /// <summary>Counts one authentication: accepted (DPoP-bound or plain bearer) or refused by the handler; a NoResult is not counted.</summary>
    public void Record(string scheme, AuthenticateResult result, bool proved, double seconds)
    {
        if (result.Succeeded)
        {
            Accepted(scheme, proved, seconds); // what the handler knows, not a search of the principal's claims
        }
        else if (result.Failure is DPoPAuthenticationException refused)
        {
            Rejected(scheme, refused.Failure, seconds);
        }
    }

    public void Accepted(string scheme, bool bound, double seconds)
    {
        var tags = new TagList
        {
            { "arcp.dpop.scheme", scheme },
            { "arcp.dpop.token_binding", bound ? "dpop" : "bearer" },
        };
        _accepted.Add(1, tags);
        tags.Add("arcp.dpop.result", "accepted");
        _duration.Record(seconds, tags);
    }

    public void Rejected(string scheme, DPoPFailure failure, double seconds)
    {
        var tags = new TagList
        {
            { "arcp.dpop.scheme", scheme },
            { "arcp.dpop.problem_type", failure.ProblemType.Slug },
            { "arcp.dpop.failure", failure.Code.ToString() },
        };
        _rejected.Add(1, tags);
        _duration.Record(seconds, new TagList { { "arcp.dpop.scheme", scheme }, { "arcp.dpop.result", "rejected" } });
    }
}
