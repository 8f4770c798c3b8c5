namespace Arcp.DPoP;

/// <summary>
/// What a step that yields a value returns: the value, or the <see cref="DPoPFailure"/> that stopped it (a step that
/// yields nothing returns a <see cref="DPoPFailure"/>?, null when it passed). A struct, so a passing step allocates
/// nothing for its result; failures are values, never exceptions.
/// </summary>
/// <typeparam name="T">What the step yields.</typeparam>
internal readonly struct DPoPResult<T>
{
    private DPoPResult(T? value, DPoPFailure? failure)
    {
        Value = value;
        Failure = failure;
    }

    /// <summary>The value, when <see cref="Failure"/> is null.</summary>
    public T? Value { get; }

    /// <summary>Why the step stopped; null when it yielded its value.</summary>
    public DPoPFailure? Failure { get; }

    public static DPoPResult<T> Ok(T value) => new(value, null);

    public static DPoPResult<T> Fail(DPoPFailure failure) => new(default, failure);

#pragma warning disable CA2225 // Ok and Fail are the named alternates.
    public static implicit operator DPoPResult<T>(DPoPFailure failure) => Fail(failure);
#pragma warning restore CA2225
}
