namespace Arcp.DPoP;

/// <summary>
/// The JWS <c>alg</c> names (RFC 7518 §3, RFC 8037 §3.1, RFC 9864 §2.2) a DPoP proof can be signed with, shared as
/// source by the server (which verifies them) and the client (which signs with them) so the two spell them alike.
/// Each package keeps its own list and order: the server's default puts Ed25519 first (it is the challenge's
/// <c>algs</c>), the client's lists what a key can be made for.
/// </summary>
internal static class DPoPAlgorithmNames
{
    /// <summary>Ed25519 as RFC 8037 names it (the curve comes from the key): what ARCP agents send.</summary>
    public const string EdDSA = "EdDSA";

    /// <summary>Ed25519's fully-specified name (RFC 9864): the same signatures with the same keys as <see cref="EdDSA"/>.</summary>
    public const string Ed25519 = "Ed25519";

    public const string ES256 = "ES256";

    public const string ES384 = "ES384";

    public const string ES512 = "ES512";

    public const string PS256 = "PS256";

    public const string PS384 = "PS384";

    public const string PS512 = "PS512";

    public const string RS256 = "RS256";

    public const string RS384 = "RS384";

    public const string RS512 = "RS512";
}
