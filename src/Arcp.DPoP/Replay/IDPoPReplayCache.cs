namespace Arcp.DPoP;

/// <summary>
/// Remembers which proofs were already used, so that a proof is accepted once (RFC 9449 §11.1).
/// </summary>
/// <remarks>
/// On a web farm every instance must share one store, or a proof refused here is accepted next door.
/// The handler calls <see cref="TryAddAsync"/> last, after every other check, so a proof that fails
/// another check never uses up its <c>jti</c>.
/// </remarks>
public interface IDPoPReplayCache
{
    /// <summary>
    /// Atomically records <paramref name="key"/> until <paramref name="expiresAt"/>, unless it is already recorded.
    /// </summary>
    /// <param name="key">An opaque key derived from the proof key's thumbprint and the proof's <c>jti</c>.</param>
    /// <param name="expiresAt">When the proof stops being acceptable anyway, so the entry may be forgotten.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when the key was not recorded (first use); <see langword="false"/> for a replay.</returns>
    /// <exception cref="Exception">The store could not answer; the handler then refuses the proof (fails closed).</exception>
    ValueTask<bool> TryAddAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}
