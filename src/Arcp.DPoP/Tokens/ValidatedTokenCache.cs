using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Opt-in (<see cref="DPoPOptions.CacheValidatedTokens"/>): access tokens that passed validation, by SHA-256 of the
/// whole token, so an agent's session (the same token on every request) pays the token's signature check once.
/// The proof is still validated in full on every request.
/// </summary>
/// <remarks>
/// An entry lives until the token's <c>exp</c> and at most <see cref="DPoPOptions.ValidatedTokenCacheDuration"/>.
/// Every entry remembers the issuer keys it was validated with (the metadata configuration, or the configured signing
/// keys); when those change, the whole cache is emptied. At most <see cref="DPoPOptions.ValidatedTokenCacheSize"/>
/// entries are kept: a full cache drops its expired entries, and if still full, everything. The trade-off: a token
/// signed with a key the issuer has revoked, but still publishes, stays accepted until its entry expires.
/// </remarks>
internal sealed class ValidatedTokenCache
{
    private readonly ConcurrentDictionary<TokenHash, Entry> _entries = new();
    private readonly DPoPOptions _options;
    private object? _keysVersion;

    public ValidatedTokenCache(DPoPOptions options)
    {
        _options = options;
    }

    public int Count => _entries.Count;

    public bool TryGet(ReadOnlySpan<char> token, object keysVersion, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ValidatedToken? validated)
    {
        validated = null;
        Synchronize(keysVersion);
        var key = TokenHash.Of(token);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return false;
        }

        if (!ReferenceEquals(entry.KeysVersion, keysVersion))
        {
            return false; // added by a request that still saw the previous keys
        }

        if (entry.ExpiresAt <= Now)
        {
            _entries.TryRemove(new KeyValuePair<TokenHash, Entry>(key, entry));
            return false;
        }

        // The cached instance itself (FromCache): each request gets its own copy of the identity from it
        // (DPoPEventRaiser), so events and the jkt claim never change the cached one.
        validated = entry.Token;
        return true;
    }

    public void Add(string token, ValidatedToken validated, DateTimeOffset tokenExpires, object keysVersion)
    {
        Synchronize(keysVersion);
        var now = Now;
        var limit = now + _options.ValidatedTokenCacheDuration;
        var expiresAt = tokenExpires < limit ? tokenExpires : limit;
        if (expiresAt <= now)
        {
            return;
        }

        if (_entries.Count >= _options.ValidatedTokenCacheSize)
        {
            foreach (var item in _entries)
            {
                if (item.Value.ExpiresAt <= now)
                {
                    _entries.TryRemove(item);
                }
            }

            if (_entries.Count >= _options.ValidatedTokenCacheSize)
            {
                _entries.Clear();
            }
        }

        _entries[TokenHash.Of(token)] = new Entry(validated with { Identity = validated.Identity.Clone(), FromCache = true }, expiresAt, keysVersion);
    }

    // The issuer's keys changed (a metadata refresh, other configured keys): every token is validated again.
    private void Synchronize(object keysVersion)
    {
        var known = Volatile.Read(ref _keysVersion);
        if (!ReferenceEquals(known, keysVersion) && Interlocked.CompareExchange(ref _keysVersion, keysVersion, known) == known)
        {
            _entries.Clear();
        }
    }

    private DateTimeOffset Now => _options.Clock.GetUtcNow();

    private sealed record Entry(ValidatedToken Token, DateTimeOffset ExpiresAt, object KeysVersion);

    /// <summary>SHA-256 of the token: the key, so the cache holds no token text.</summary>
    private readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static TokenHash Of(ReadOnlySpan<char> token)
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            TextHash.Sha256(token, hash);
            var words = MemoryMarshal.Cast<byte, ulong>(hash);
            return new TokenHash(words[0], words[1], words[2], words[3]);
        }
    }
}
