namespace Arcp.DPoP;

/// <summary>
/// Whether a scheme accepts access tokens that are not bound to a key.
/// </summary>
public enum DPoPMode
{
    /// <summary>
    /// Only DPoP-bound access tokens (with a <c>cnf.jkt</c> claim) presented with a valid proof are accepted.
    /// </summary>
    Required = 0,

    /// <summary>
    /// Unbound access tokens presented as <c>Authorization: Bearer</c> are accepted as plain bearer tokens;
    /// a bound token still needs its proof. Use while migrating clients from Bearer to DPoP.
    /// </summary>
    Allowed = 1,
}
