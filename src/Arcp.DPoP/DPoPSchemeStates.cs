namespace Arcp.DPoP;

internal sealed class DPoPSchemeStates
{
    private readonly object _x = new();
    public DPoPSchemeState Get(string scheme, DPoPOptions options) => new() { Validator = options.ProofValidator ?? (DPoPProofValidator)_x };
}

internal sealed class DPoPSchemeState
{
    public required DPoPProofValidator Validator { get; init; }
}
