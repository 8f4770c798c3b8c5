using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Arcp.DPoP;

/// <summary>
/// Proof headers whose proof was accepted, by SHA-256 of their exact base64url text, with their imported keys.
/// </summary>
/// <remarks>
/// A DPoP proof's JOSE header holds only <c>typ</c>, <c>alg</c> and <c>jwk</c>, so an agent sends the same header
/// text with every proof: parsing it, checking the key, hashing its thumbprint and importing the public key (which
/// costs more than verifying a signature) are done once per header. The text is exactly what the signature covers,
/// so equal text means an equal header.
/// <para>
/// Only a header whose signature verified is added (<see cref="DPoPProofValidator"/>; the handler verifies signatures
/// only after the access token and the binding passed), so a caller without a valid token bound to the key cannot
/// fill the cache. Keys are hashes, not the header text. Memory is bounded by an estimate in bytes (the header text
/// bounds what it decodes to, plus a fixed allowance for the objects and the imported key) as well as by entries; a
/// full cache is emptied. Each header has a small pool of key instances, so concurrent verifications never share one
/// (an Ed25519 key is the exception: NSec's <c>PublicKey</c> is immutable, so one instance is shared, see
/// <see cref="ProofHeader.Ed25519Key"/>).
/// </para>
/// </remarks>
internal sealed class ProofHeaderCache
{
    public const int Capacity = 4096;

    /// <summary>The default memory budget: some thousands of ordinary EC or RSA-2048 headers.</summary>
    public const long DefaultMaxBytes = 8L * 1024 * 1024;

    // The objects of one entry and an imported key's native handle, beyond the header text.
    private const int EntryOverhead = 2048;

    private readonly ConcurrentDictionary<HeaderHash, Entry> _headers = new();
    private readonly long _maxBytes;
    private long _bytes;

    public ProofHeaderCache(long maxBytes = DefaultMaxBytes)
    {
        _maxBytes = maxBytes;
    }

    public int Count => _headers.Count;

    /// <summary>The estimated memory held by the cached headers.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public bool TryGet(HeaderHash key, out ProofHeader header)
    {
        if (_headers.TryGetValue(key, out var entry))
        {
            header = entry.Header;
            return true;
        }

        header = null!;
        return false;
    }

    public bool Add(ReadOnlySpan<char> encodedHeader, ProofHeader header) => Add(HeaderHash.Of(encodedHeader), encodedHeader.Length, header);

    /// <summary>Adds a header; false when it was not kept (too big for the budget, or another request added it first).</summary>
    public bool Add(HeaderHash key, int encodedLength, ProofHeader header)
    {
        // Base64url text decodes to 3/4 of its length; as UTF-16 strings that is at most 1.5 bytes per character.
        long cost = (2L * encodedLength) + EntryOverhead;
        if (cost > _maxBytes)
        {
            return false;
        }

        if (_headers.Count >= Capacity || Bytes + cost > _maxBytes)
        {
            foreach (var entry in _headers)
            {
                if (_headers.TryRemove(entry))
                {
                    Interlocked.Add(ref _bytes, -entry.Value.Cost);
                    entry.Value.Header.Keys.Evict();
                }
            }
        }

        if (!_headers.TryAdd(key, new Entry(header, cost)))
        {
            return false;
        }

        Interlocked.Add(ref _bytes, cost);
        return true;
    }

    private sealed record Entry(ProofHeader Header, long Cost);

    /// <summary>SHA-256 of a header's base64url text.</summary>
    internal readonly record struct HeaderHash(ulong A, ulong B, ulong C, ulong D)
    {
        public static HeaderHash Of(ReadOnlySpan<char> encodedHeader)
        {
            byte[]? rented = null;
            Span<byte> bytes = encodedHeader.Length <= 2048 ? stackalloc byte[2048] : (rented = ArrayPool<byte>.Shared.Rent(encodedHeader.Length));
            try
            {
                // Base64url text is ASCII (the validator checks it before caching anything).
                int length = Encoding.ASCII.GetBytes(encodedHeader, bytes);
                Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
                SHA256.HashData(bytes[..length], hash);
                var words = MemoryMarshal.Cast<byte, ulong>(hash);
                return new HeaderHash(words[0], words[1], words[2], words[3]);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
    }

    /// <summary>The imported instances of one proof key.</summary>
    internal sealed class KeyPool
    {
        private readonly ConcurrentBag<AsymmetricAlgorithm> _keys = [];
        private volatile bool _evicted;

        public AsymmetricAlgorithm? TryRent() => _keys.TryTake(out var key) ? key : null;

        public void Return(AsymmetricAlgorithm key)
        {
            if (_evicted || _keys.Count >= Environment.ProcessorCount)
            {
                key.Dispose();
                return;
            }

            _keys.Add(key);
            if (_evicted && _keys.TryTake(out var late))
            {
                late.Dispose(); // evicted while returning
            }
        }

        public void Evict()
        {
            _evicted = true;
            while (_keys.TryTake(out var key))
            {
                key.Dispose();
            }
        }
    }
}
