namespace Arcp.DPoP;

/// <summary>What step 1 read from <c>Authorization</c>: the access token, and whether it came with the DPoP scheme (else Bearer).</summary>
internal readonly struct AuthorizationCredentials
{
    public AuthorizationCredentials(ReadOnlyMemory<char> token, bool dpopScheme)
    {
        Token = token;
        DPoPScheme = dpopScheme;
    }

    /// <summary>
    /// The access token, a slice of the header (a cached token is never copied into a string of its own, issue 14);
    /// empty when the request has no credentials of ours (none, or another scheme's).
    /// </summary>
    public ReadOnlyMemory<char> Token { get; }

    /// <summary>Whether the scheme was <c>DPoP</c> (RFC 9449 §7.1) rather than <c>Bearer</c>.</summary>
    public bool DPoPScheme { get; }
}
