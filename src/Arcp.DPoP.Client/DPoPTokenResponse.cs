namespace Arcp.DPoP.Client;

/// <summary>A token endpoint's answer: the access token, the thumbprint of the key it is bound to, its lifetime.</summary>
/// <param name="AccessToken">The access token.</param>
/// <param name="Thumbprint">The JWK thumbprint of the key whose proof asked for it.</param>
/// <param name="ExpiresIn">RFC 6749 §5.1 <c>expires_in</c>, when the server gave one.</param>
internal sealed record DPoPTokenResponse(string AccessToken, string Thumbprint, TimeSpan? ExpiresIn);
