namespace Arcp.DPoP.Client;

/// <summary>A token endpoint refused a DPoP token request (RFC 6749 §5.2 error response).</summary>
public sealed class DPoPTokenRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="error">The OAuth <c>error</c> code.</param>
    /// <param name="errorDescription">The <c>error_description</c>.</param>
    public DPoPTokenRequestException(int status, string? error, string? errorDescription)
        : base($"The token endpoint answered {status} {error}: {errorDescription}")
    {
        Status = status;
        Error = error;
        ErrorDescription = errorDescription;
    }

    /// <summary>The HTTP status.</summary>
    public int Status { get; }

    /// <summary>The OAuth <c>error</c> code, e.g. <c>invalid_dpop_proof</c>.</summary>
    public string? Error { get; }

    /// <summary>The <c>error_description</c>.</summary>
    public string? ErrorDescription { get; }
}
