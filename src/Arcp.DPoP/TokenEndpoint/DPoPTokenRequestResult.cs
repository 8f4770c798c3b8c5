using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// The verdict of <see cref="IDPoPTokenRequestValidator"/> on a token request's DPoP proof: the proved key
/// (<see cref="Jkt"/>, to put in the token's <c>cnf.jkt</c>), or the <see cref="Failure"/> to answer with.
/// </summary>
public readonly struct DPoPTokenRequestResult : IEquatable<DPoPTokenRequestResult>
{
    private readonly TimeProvider? _timeProvider;
    private readonly TimeSpan _retryAfter;

    private DPoPTokenRequestResult(DPoPProof? proof, DPoPFailure? failure, TimeProvider? timeProvider, TimeSpan retryAfter)
    {
        Proof = proof;
        Failure = failure;
        _timeProvider = timeProvider;
        _retryAfter = retryAfter;
    }

    internal static DPoPTokenRequestResult Success(DPoPProof proof) => new(proof, null, null, default);

    internal static DPoPTokenRequestResult Fail(DPoPFailure failure, DPoPOptions options) =>
        new(null, failure, options.Clock, options.ReplayCheckRetryAfter);

    /// <summary>Whether the proof passed every check and was recorded as used.</summary>
    [MemberNotNullWhen(true, nameof(Proof), nameof(Jkt))]
    [MemberNotNullWhen(false, nameof(Failure))]
    public bool Succeeded => Proof is not null;

    /// <summary>The validated proof: its key's thumbprint, algorithm, key type, <c>jti</c>, <c>iat</c>, nonce.</summary>
    public DPoPProof? Proof { get; }

    /// <summary>The RFC 7638 thumbprint of the proof's key: the <c>cnf.jkt</c> of the token to issue (RFC 9449 §6.1).</summary>
    public string? Jkt => Proof?.Jkt;

    /// <summary>Why the proof was refused (<see langword="null"/> on success, and in a <see langword="default"/> instance).</summary>
    public DPoPFailure? Failure { get; }

    /// <summary>
    /// Writes the refusal as the handler writes its own, an ARCP problem document, with the status and members an
    /// OAuth client expects from a token endpoint (RFC 6749 §5.2, RFC 9449 §5 and §8): 400, <c>error</c>
    /// (<c>invalid_dpop_proof</c>, or <c>use_dpop_nonce</c> with the <c>DPoP-Nonce</c> header the validator already
    /// set) and <c>error_description</c>; 503 with <c>Retry-After</c> when the replay cache cannot answer.
    /// <c>Cache-Control: no-store</c>.
    /// </summary>
    /// <param name="context">The token request.</param>
    /// <exception cref="InvalidOperationException">There is no failure: the proof succeeded (or the instance is <see langword="default"/>).</exception>
    public Task WriteProblemAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Failure is not { } failure)
        {
            throw new InvalidOperationException(NoFailure);
        }

        var problem = DPoPProblemWriter.Create(context, failure, _timeProvider ?? TimeProvider.System);
        if (failure.ProblemType.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = ((long)Math.Ceiling(_retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            // RFC 9449 §5 and §8: a token endpoint answers a proof it refuses with 400, never 401 and no challenge.
            problem.Status = StatusCodes.Status400BadRequest;
        }

        if (failure.Error is { } error)
        {
            problem.Extensions["error"] = error;
            problem.Extensions["error_description"] = failure.Detail;
        }

        return DPoPProblemWriter.WriteAsync(context, problem);
    }

    /// <summary>The refusal as an <see cref="IResult"/> for a minimal API endpoint (see <see cref="WriteProblemAsync"/>).</summary>
    /// <exception cref="InvalidOperationException">There is no failure: the proof succeeded (or the instance is <see langword="default"/>).</exception>
    public IResult ToProblemResult() => Failure is null
        ? throw new InvalidOperationException(NoFailure)
        : new ProblemResult(this);

    private const string NoFailure = "This result has no failure to write: the DPoP proof was accepted (or the result is default, never returned by a validator).";

    /// <inheritdoc />
    public bool Equals(DPoPTokenRequestResult other) => ReferenceEquals(Proof, other.Proof) && ReferenceEquals(Failure, other.Failure);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DPoPTokenRequestResult other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Proof, Failure);

    /// <summary>Whether two results are the same verdict on the same proof.</summary>
    public static bool operator ==(DPoPTokenRequestResult left, DPoPTokenRequestResult right) => left.Equals(right);

    /// <summary>Whether two results differ.</summary>
    public static bool operator !=(DPoPTokenRequestResult left, DPoPTokenRequestResult right) => !left.Equals(right);

    private sealed class ProblemResult(DPoPTokenRequestResult result) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => result.WriteProblemAsync(httpContext);
    }
}
