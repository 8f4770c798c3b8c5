namespace Arcp.DPoP;

/// <summary>The verdict on a proof's nonce.</summary>
public enum DPoPNonceValidation
{
    /// <summary>Issued by this API and fresh.</summary>
    Valid = 0,

    /// <summary>Valid, but past the middle of its life: the response carries the next nonce so the client never pays a retry.</summary>
    ValidRenew,

    /// <summary>Issued by this API but expired.</summary>
    Expired,

    /// <summary>Not a nonce this API (or its key ring) issued.</summary>
    Invalid,
}
