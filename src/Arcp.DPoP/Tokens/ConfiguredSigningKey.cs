using Microsoft.IdentityModel.Tokens;

namespace Arcp.DPoP;

/// <summary>
/// A shared secret bound from configuration (<c>SigningKeys</c>) and the issuer it was configured for (null: none);
/// the scheme lets each key verify only its own issuer's tokens.
/// </summary>
internal sealed record ConfiguredSigningKey(SecurityKey Key, string? Issuer);
