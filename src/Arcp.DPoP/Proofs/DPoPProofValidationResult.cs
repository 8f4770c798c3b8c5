using System.Diagnostics.CodeAnalysis;

namespace Arcp.DPoP;

/// <summary>
/// The outcome of <see cref="DPoPProofValidator.Validate(string, string, string, string?)"/>.
/// </summary>
public sealed class DPoPProofValidationResult
{
    private DPoPProofValidationResult(DPoPProof? proof, DPoPFailure? failure)
    {
        Proof = proof;
        Failure = failure;
    }

    /// <summary>Whether every check passed.</summary>
    [MemberNotNullWhen(true, nameof(Proof))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool IsValid => Proof is not null;

    /// <summary>The validated proof, when <see cref="IsValid"/>.</summary>
    public DPoPProof? Proof { get; }

    /// <summary>The first check that failed, when not <see cref="IsValid"/>.</summary>
    public DPoPFailure? Failure { get; }

    internal static DPoPProofValidationResult Success(DPoPProof proof) => new(proof, null);

    internal static DPoPProofValidationResult Fail(DPoPFailure failure) => new(null, failure);
}
