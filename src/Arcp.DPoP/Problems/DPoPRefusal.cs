namespace Arcp.DPoP;

/// <summary>
/// What a step that yields no value returns when the failure may have an exception behind it (a store or issuer that
/// could not be reached): the failure for the client, and the cause for logs and the
/// <see cref="DPoPEvents.AuthenticationFailed"/> event. <see cref="None"/> when the step passed.
/// </summary>
internal readonly record struct DPoPRefusal(DPoPFailure? Failure, Exception? Cause)
{
    /// <summary>The step passed.</summary>
    public static DPoPRefusal None => default;
}
