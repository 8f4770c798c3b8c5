using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// The context of <see cref="DPoPEvents.OnAuthenticationFailed"/>: a check failed. Call
/// <see cref="ResultContext{TOptions}.Success"/> to accept the request anyway (at your own risk).
/// </summary>
public class DPoPAuthenticationFailedContext : ResultContext<DPoPOptions>
{
    /// <summary>Creates the context.</summary>
    /// <param name="context">The request.</param>
    /// <param name="scheme">The scheme.</param>
    /// <param name="options">The scheme's options.</param>
    /// <param name="exception">The exception that carries the failure.</param>
    public DPoPAuthenticationFailedContext(HttpContext context, AuthenticationScheme scheme, DPoPOptions options, DPoPAuthenticationException exception)
        : base(context, scheme, options)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception = exception;
    }

    /// <summary>The exception that carries the failure (and, in <see cref="Exception.InnerException"/>, any cause).</summary>
    public DPoPAuthenticationException Exception { get; }

    /// <summary>The check that failed.</summary>
    public DPoPFailure Failure => Exception.Failure;
}
