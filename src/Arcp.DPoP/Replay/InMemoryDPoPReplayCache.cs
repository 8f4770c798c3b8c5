using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// The default <see cref="IDPoPReplayCache"/>: a process-local table. Right for a single instance;
/// a web farm needs a shared store.
/// </summary>
/// <remarks>
/// <para>
/// The add is atomic (a check and an insert under the lock of the key's shard), so of many concurrent requests carrying
/// one proof exactly one is accepted. Expired entries are swept at most once per <see cref="SweepInterval"/>, on the
/// way through an add, and an expired entry's slot is reused by the next add that passes it, so memory is bounded by
/// the proofs of one acceptance window.
/// </para>
/// <para>
/// Each entry is 24 bytes in an array of plain values (no object, string or reference per entry): a busy API keeps a
/// minute of proofs, and entries the garbage collector has to trace and promote would cost every request. A key is
/// held as 128 bits of the SHA-256 digest of its text, whatever its form, so two keys are confused only if their
/// digests share 128 bits, which no caller can arrange. The shard and the slot an entry goes to are keyed with a
/// secret of this instance, so a client grinding its <c>jti</c> cannot pile its proofs into one probe run.
/// </para>
/// </remarks>
public sealed class InMemoryDPoPReplayCache : IDPoPReplayCache
{
    /// <summary>How often expired entries are removed.</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(10);

    // Enough shards that the requests of a busy server rarely wait for one another's lock.
    private const int ShardBits = 6;
    private const int ShardCount = 1 << ShardBits;

    private readonly Shard[] _shards;
    private readonly TimeProvider _timeProvider;

    // The client chooses its jti, so it can grind SHA-256(jkt "." jti) offline until the digest's low bits are what it
    // likes: with the shard and the home slot taken from those bits as they are, a few hundred hashes a proof pile its
    // proofs into one shard and one probe run, and every add there walks the whole run under the shard's lock. The
    // shard and the slot come instead from the top bits of the fingerprint times a secret odd number drawn for this
    // instance (multiply-shift, a universal hash): which bits collide cannot be known without the secret.
    private readonly ulong _shardMultiplier;
    private long _nextSweep;
    private int _sweeping;

    /// <summary>Creates the cache.</summary>
    /// <param name="timeProvider">The clock that decides when an entry has expired.</param>
    public InMemoryDPoPReplayCache(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _shardMultiplier = RandomOddMultiplier();
        ulong slotMultiplier = RandomOddMultiplier();
        _shards = new Shard[ShardCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(slotMultiplier);
        }
    }

    /// <summary>The number of entries held, expired ones included until the next sweep.</summary>
    public int Count
    {
        get
        {
            int count = 0;
            foreach (var shard in _shards)
            {
                lock (shard.Gate)
                {
                    count += shard.Used;
                }
            }

            return count;
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> TryAddAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ValueTask.FromResult(TryAdd(Fingerprint.Of(key), expiresAt));
    }

    /// <summary>
    /// Records a proof by its replay digest (SHA-256 of <c>jkt "." jti</c>, <see cref="ProofReplayKey"/>) as it is,
    /// without its text: how the handler and the token endpoint record every proof in this store
    /// (<see cref="DPoPFirstUse"/>), so one proof always has one entry. Keys given as text never meet these entries:
    /// a text key's fingerprint is the first half of the SHA-256 of its UTF-16 code units, a proof's is the second half of
    /// its digest. Both first halves would meet whenever a text key's code units are the bytes of <c>jkt "." jti</c>
    /// (two ASCII bytes to a character), which anyone naming the application's keys can write.
    /// </summary>
    internal bool TryAddProof(in ProofReplayKey.Hash digest, DateTimeOffset expiresAt) =>
        TryAdd(new Fingerprint(digest.C, digest.D), expiresAt);

    private bool TryAdd(Fingerprint fingerprint, DateTimeOffset expiresAt)
    {
        long now = _timeProvider.GetUtcNow().UtcTicks;
        SweepIfDue(now);

        var shard = _shards[(int)((fingerprint.High * _shardMultiplier) >> (64 - ShardBits))];
        lock (shard.Gate)
        {
            // An expiry of 0 would read as an empty slot and cut the probe runs that pass it: never stored.
            return shard.TryAdd(fingerprint, Math.Max(expiresAt.UtcTicks, 1), now);
        }
    }

    /// <summary>The longest run of occupied slots in any shard: how far the slowest add probes.</summary>
    internal int LongestRun
    {
        get
        {
            int longest = 0;
            foreach (var shard in _shards)
            {
                lock (shard.Gate)
                {
                    longest = Math.Max(longest, shard.LongestRun());
                }
            }

            return longest;
        }
    }

    private static ulong RandomOddMultiplier()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return MemoryMarshal.Read<ulong>(bytes) | 1;
    }

    private void SweepIfDue(long now)
    {
        if (now < Volatile.Read(ref _nextSweep) || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            // One shard at a time: adds to the other shards go on meanwhile.
            foreach (var shard in _shards)
            {
                lock (shard.Gate)
                {
                    shard.Rebuild(now);
                }
            }

            Volatile.Write(ref _nextSweep, now + SweepInterval.Ticks);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>128 bits of the SHA-256 digest of a key's UTF-16 code units.</summary>
    /// <remarks>
    /// Every key is hashed, whatever its form: a key that looks like a digest is not taken as one, so no caller can pick
    /// a key that lands on another key's fingerprint (that would take a SHA-256 second preimage on 128 bits).
    /// </remarks>
    private readonly record struct Fingerprint(ulong Low, ulong High)
    {
        public static Fingerprint Of(string key)
        {
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(MemoryMarshal.AsBytes(key.AsSpan()), digest);
            var words = MemoryMarshal.Cast<byte, ulong>(digest);
            return new Fingerprint(words[0], words[1]);
        }
    }

    /// <summary>An entry: a fingerprint and when it expires (UTC ticks; 0: the slot is empty).</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct Entry
    {
        public Fingerprint Key;
        public long Expiry;
    }

    /// <summary>An open-addressing table (linear probing) of one slice of the fingerprints, guarded by <see cref="Gate"/>.</summary>
    private sealed class Shard
    {
        private const int MinimumSlots = 64;

        public readonly Lock Gate = new();
        private readonly ulong _multiplier;
        private Entry[] _slots = new Entry[MinimumSlots];

        // The table before the last rebuild, kept when it is the size of the current one: the sweep every
        // SweepInterval rebuilds into it instead of allocating a table (of a busy API's size) each time.
        private Entry[]? _spare;

        public Shard(ulong multiplier) => _multiplier = multiplier;

        /// <summary>Slots that hold an entry, live or expired.</summary>
        public int Used { get; private set; }

        public bool TryAdd(Fingerprint key, long expiry, long now)
        {
            // Slots are taken in order from the key's home slot up to the first empty one, so the whole run is searched
            // for the key before it is added; an expired entry met on the way is a place to put it.
            var slots = _slots;
            int mask = slots.Length - 1;
            int index = Home(key, slots.Length);
            int reusable = -1;
            while (true)
            {
                ref var entry = ref slots[index];
                if (entry.Expiry == 0)
                {
                    break;
                }

                if (entry.Key == key)
                {
                    if (entry.Expiry > now)
                    {
                        return false; // used, and still acceptable: a replay
                    }

                    entry.Expiry = expiry; // used once, but long expired: this is a new acceptance window
                    return true;
                }

                if (reusable < 0 && entry.Expiry <= now)
                {
                    reusable = index;
                }

                index = (index + 1) & mask;
            }

            if (reusable >= 0)
            {
                slots[reusable] = new Entry { Key = key, Expiry = expiry };
                return true;
            }

            slots[index] = new Entry { Key = key, Expiry = expiry };
            if (++Used > slots.Length / 4 * 3)
            {
                Rebuild(now);
            }

            return true;
        }

        /// <summary>Keeps the live entries only, in a table they fill at most half of.</summary>
        public void Rebuild(long now)
        {
            var old = _slots;
            int live = 0;
            foreach (ref readonly var entry in old.AsSpan())
            {
                if (entry.Expiry > now)
                {
                    live++;
                }
            }

            int size = Math.Max(MinimumSlots, (int)BitOperations.RoundUpToPowerOf2((uint)(live * 2 + 1)));
            if (live == Used && size == old.Length)
            {
                return; // nothing expired, and the table is the right size
            }

            var slots = _spare is { } spare && spare.Length == size ? spare : new Entry[size];
            if (ReferenceEquals(slots, _spare))
            {
                Array.Clear(slots);
            }

            int mask = size - 1;
            foreach (ref readonly var entry in old.AsSpan())
            {
                if (entry.Expiry > now)
                {
                    int index = Home(entry.Key, size);
                    while (slots[index].Expiry != 0)
                    {
                        index = (index + 1) & mask;
                    }

                    slots[index] = entry;
                }
            }

            _slots = slots;
            _spare = old.Length == size ? old : null;
            Used = live;
        }

        public int LongestRun()
        {
            int longest = 0;
            int run = 0;
            foreach (ref readonly var entry in _slots.AsSpan())
            {
                run = entry.Expiry == 0 ? 0 : run + 1;
                longest = Math.Max(longest, run);
            }

            return longest; // a run wrapping past the end counts as two: enough for a bound
        }

        // The top bits of the product: they depend on every bit of the fingerprint's low word and on the secret.
        private int Home(Fingerprint key, int size) => (int)((key.Low * _multiplier) >> (64 - BitOperations.Log2((uint)size)));
    }
}
