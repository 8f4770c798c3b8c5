using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.Tests;

public class InMemoryDPoPReplayCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Accepts_a_key_once_until_it_expires()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        Assert.True(await cache.TryAddAsync("k", Now.AddSeconds(65)));
        Assert.False(await cache.TryAddAsync("k", Now.AddSeconds(65)));
        clock.Advance(TimeSpan.FromSeconds(64));
        Assert.False(await cache.TryAddAsync("k", Now.AddSeconds(65)));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(await cache.TryAddAsync("k", Now.AddSeconds(200)));
    }

    [Fact]
    public async Task Of_many_concurrent_adds_of_one_key_exactly_one_wins()
    {
        var cache = new InMemoryDPoPReplayCache(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await cache.TryAddAsync("same", expires);
        })).ToArray();
        start.Set();
        bool[] results = await Task.WhenAll(tasks);
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task Expired_entries_are_swept()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        for (int i = 0; i < 100; i++)
        {
            await cache.TryAddAsync("k" + i, Now.AddSeconds(1));
        }

        Assert.Equal(100, cache.Count);
        clock.Advance(InMemoryDPoPReplayCache.SweepInterval + TimeSpan.FromSeconds(2));
        await cache.TryAddAsync("fresh", clock.GetUtcNow().AddSeconds(60));
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task Every_one_of_many_keys_is_accepted_once_while_the_table_grows()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        var keys = Enumerable.Range(0, 20_000).Select(i => ProofReplayKey.Of("jkt-" + (i % 7), "jti-" + i)).ToArray();
        foreach (string key in keys)
        {
            Assert.True(await cache.TryAddAsync(key, Now.AddSeconds(65)));
        }

        foreach (string key in keys)
        {
            Assert.False(await cache.TryAddAsync(key, Now.AddSeconds(65)));
        }

        Assert.Equal(keys.Length, cache.Count);
    }

    [Fact]
    public async Task Reusing_the_slots_of_expired_entries_never_lets_a_live_key_be_replayed()
    {
        // Short- and long-lived entries interleave in the same probe runs; once the short ones expire, new keys take
        // their slots. A live key further along a run must still be found.
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        var live = new List<string>();
        for (int i = 0; i < 6_000; i++)
        {
            string key = "first-" + i;
            bool shortLived = i % 2 == 0;
            Assert.True(await cache.TryAddAsync(key, Now.AddSeconds(shortLived ? 2 : 60)));
            if (!shortLived)
            {
                live.Add(key);
            }
        }

        clock.Advance(TimeSpan.FromSeconds(3)); // the short-lived entries expire; no sweep is due yet
        for (int i = 0; i < 3_000; i++)
        {
            Assert.True(await cache.TryAddAsync("second-" + i, Now.AddSeconds(60)));
        }

        foreach (string key in live)
        {
            Assert.False(await cache.TryAddAsync(key, Now.AddSeconds(60)));
        }

        for (int i = 0; i < 3_000; i++)
        {
            Assert.False(await cache.TryAddAsync("second-" + i, Now.AddSeconds(60)));
        }

        for (int i = 0; i < 6_000; i += 2)
        {
            Assert.True(await cache.TryAddAsync("first-" + i, Now.AddSeconds(60))); // expired: a new window
        }
    }

    [Fact]
    public async Task Keys_that_differ_only_in_case_or_form_are_different_keys()
    {
        var cache = new InMemoryDPoPReplayCache(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);
        string digestKey = ProofReplayKey.Of("jkt", "jti");
        string[] keys = [digestKey, digestKey.ToUpperInvariant(), digestKey.ToLowerInvariant(), digestKey + "=", "k", "K", "", "jkt.jti"];
        foreach (string key in keys.Distinct(StringComparer.Ordinal))
        {
            Assert.True(await cache.TryAddAsync(key, expires), key);
        }

        foreach (string key in keys.Distinct(StringComparer.Ordinal))
        {
            Assert.False(await cache.TryAddAsync(key, expires), key);
        }
    }

    [Fact]
    public async Task Of_concurrent_adds_of_many_keys_exactly_one_per_key_wins()
    {
        var cache = new InMemoryDPoPReplayCache(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);
        const int Keys = 20_000;
        var wins = new int[Keys];
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            start.Wait();
            for (int i = 0; i < Keys; i++)
            {
                int k = (i * 7919 + t * 4999) % Keys; // each thread in its own order
                if (await cache.TryAddAsync("key-" + k, expires))
                {
                    Interlocked.Increment(ref wins[k]);
                }
            }
        })).ToArray();
        start.Set();
        await Task.WhenAll(tasks);
        Assert.All(wins, w => Assert.Equal(1, w));
    }

    [Fact]
    public async Task An_entry_expiring_at_the_start_of_time_does_not_hide_the_entries_after_it()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        for (int i = 0; i < 500; i++)
        {
            Assert.True(await cache.TryAddAsync("live-" + i, Now.AddSeconds(60)));
            Assert.True(await cache.TryAddAsync("dead-" + i, DateTimeOffset.MinValue));
        }

        for (int i = 0; i < 500; i++)
        {
            Assert.False(await cache.TryAddAsync("live-" + i, Now.AddSeconds(60)));
        }
    }

    [Fact]
    public async Task Keys_ground_to_share_a_shard_and_a_home_slot_still_spread()
    {
        // The client picks its jti, so it can grind SHA-256(jkt "." jti) until chosen bits of the digest (the key the
        // handler hands the cache) are zero. Were the shard and the home slot those bits as they are, these keys would
        // all land in one shard and one probe run, and every add there would walk the whole run under the shard's lock.
        var cache = new InMemoryDPoPReplayCache(new FakeTimeProvider(Now));
        var digest = new byte[SHA256.HashSizeInBytes];
        for (int i = 0; i < 4_096; i++)
        {
            RandomNumberGenerator.Fill(digest);
            digest[0] = digest[1] = digest[2] = 0; // the low 24 bits of the fingerprint's low word
            digest[8] &= 0xC0; // the low 6 bits of its high word
            Assert.True(await cache.TryAddAsync(Base64Url.EncodeToString(digest), Now.AddSeconds(65)));
        }

        // Spread over 64 shards at most half full, the longest run is a few dozen slots (one run of 4096 before).
        Assert.InRange(cache.LongestRun, 1, 64);
    }

    [Fact]
    public async Task Of_concurrent_adds_one_wins_per_key_while_sweeps_rebuilds_and_slot_reuse_run()
    {
        // Four threads add the same long-lived keys, each in its own order; a fifth churns short-lived keys (expired
        // slots that later adds reuse, tables that grow and shrink) and moves the clock past SweepInterval again and
        // again, so sweeps rebuild every shard while the adds go on. Every long-lived key must win exactly once.
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        const int Keys = 20_000;
        var expires = Now.AddDays(1);
        var wins = new int[Keys];
        using var start = new ManualResetEventSlim();
        int running = 4;
        var adders = Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
        {
            start.Wait();
            for (int i = 0; i < Keys; i++)
            {
                int k = (i * 7919 + t * 4999) % Keys;
                if (await cache.TryAddAsync(ProofReplayKey.Of("jkt", "live-" + k), expires))
                {
                    Interlocked.Increment(ref wins[k]);
                }
            }

            Interlocked.Decrement(ref running);
        })).ToArray();
        var churn = Task.Run(async () =>
        {
            start.Wait();
            for (int round = 0; Volatile.Read(ref running) > 0; round++)
            {
                for (int i = 0; i < 500; i++)
                {
                    Assert.True(await cache.TryAddAsync(ProofReplayKey.Of("jkt", $"churn-{round}-{i}"), clock.GetUtcNow().AddSeconds(1)));
                }

                clock.Advance(InMemoryDPoPReplayCache.SweepInterval / 4); // a sweep is due every fourth round
            }
        });
        start.Set();
        await Task.WhenAll([.. adders, churn]);
        Assert.All(wins, w => Assert.Equal(1, w));
        for (int k = 0; k < Keys; k++)
        {
            Assert.False(await cache.TryAddAsync(ProofReplayKey.Of("jkt", "live-" + k), expires));
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    public async Task An_entry_is_live_until_its_expiry_and_not_one_tick_longer(long offsetTicks)
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        var expires = Now.AddSeconds(65);
        Assert.True(await cache.TryAddAsync("k", expires));
        clock.SetUtcNow(expires.AddTicks(offsetTicks));
        Assert.Equal(offsetTicks >= 0, await cache.TryAddAsync("k", expires.AddSeconds(65)));
    }

    [Fact]
    public async Task The_largest_expiry_is_kept()
    {
        var clock = new FakeTimeProvider(Now);
        var cache = new InMemoryDPoPReplayCache(clock);
        Assert.True(await cache.TryAddAsync("k", DateTimeOffset.MaxValue));
        clock.Advance(TimeSpan.FromDays(3650)); // sweeps run: the entry stays
        await cache.TryAddAsync("other", clock.GetUtcNow().AddSeconds(1));
        Assert.False(await cache.TryAddAsync("k", DateTimeOffset.MaxValue));
    }

    [Fact]
    public async Task A_key_that_looks_like_a_digest_is_not_confused_with_the_key_it_is_the_digest_of()
    {
        // Found in review: keys of the handler's form were decoded, other keys hashed, so a caller could name a key that
        // landed on another's fingerprint: "k" and base64url(SHA-256 of "k"'s UTF-16), or two 43-character keys
        // sharing their first 16 decoded bytes.
        var cache = new InMemoryDPoPReplayCache(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);
        string digestOfK = System.Buffers.Text.Base64Url.EncodeToString(
            System.Security.Cryptography.SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes("k".AsSpan())));
        string[] keys = ["k", digestOfK, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAP____________________8"];
        foreach (string key in keys)
        {
            Assert.True(await cache.TryAddAsync(key, expires), key);
        }
    }
    [Fact]
    public async Task A_text_key_never_lands_on_a_proof_s_digest_entry()
    {
        // Found in review: a proof is recorded by SHA-256 of its "jkt.jti" UTF-8 bytes, a text key by SHA-256 of its
        // UTF-16 code units, both cut to their first 128 bits. A text key whose UTF-16 code units are those very bytes
        // (two ASCII bytes to a character) landed on the proof's entry: whoever names keys of the application's own
        // could use up, or find used, a proof's jti (RFC 9449 §11.1).
        var cache = new InMemoryDPoPReplayCache(TimeProvider.System);
        var expires = DateTimeOffset.UtcNow.AddMinutes(1);
        const string Jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        const string Jti = "ab"; // "jkt.jti" is 46 bytes: 23 UTF-16 code units
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(Jkt + "." + Jti);
        string sameBytes = new(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, char>(utf8));

        Assert.True(await cache.TryAddAsync(sameBytes, expires));
        Assert.True(cache.TryAddProof(ProofReplayKey.HashOf(Jkt, Jti), expires)); // a first use, not a replay
        Assert.False(cache.TryAddProof(ProofReplayKey.HashOf(Jkt, Jti), expires));
        Assert.False(await cache.TryAddAsync(sameBytes, expires));
    }
}
