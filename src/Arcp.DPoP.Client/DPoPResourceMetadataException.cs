namespace Arcp.DPoP.Client;

/// <summary>
/// A discovery document could not be used — a protected resource's metadata (RFC 9728) or an authorization server's
/// (RFC 8414, <see cref="DPoPAuthorizationServerMetadata"/>): the request failed, the answer was not a JSON document of
/// bounded size, or it describes another resource or issuer than the one asked about (RFC 9728 §3.3, RFC 8414 §3.3).
/// </summary>
public sealed class DPoPResourceMetadataException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong, naming the URL.</param>
    public DPoPResourceMetadataException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong, naming the URL.</param>
    /// <param name="innerException">The cause.</param>
    public DPoPResourceMetadataException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
