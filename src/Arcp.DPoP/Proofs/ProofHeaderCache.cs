using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Arcp.DPoP;

/// <summary>
/// Proof headers that passed every header check, by their exact base64url text, with their imported keys.
/// </summary>
/// <remarks>
/// A DPoP proof's JOSE header holds only <c>typ</c>, <c>alg</c> and <c>jwk</c>, so an agent sends the same header
/// text with every proof: parsing it, checking the key, hashing its thumbprint and importing the public key (which
/// costs more than verifying a signature) are done once per header. The text is exactly what the signature covers,
/// so equal text means an equal header. Each header has a small pool of key instances, so concurrent verifications
/// never share one (an Ed25519 key is the exception: NSec's <c>PublicKey</c> is immutable, so one instance is shared,
/// see <see cref="ProofHeader.Ed25519Key"/>). At most <see cref="Capacity"/> headers are kept; a full cache is emptied (an attacker cycling keys
/// only buys itself the imports it would have paid anyway). Failed headers are never cached.
/// </remarks>
internal sealed class ProofHeaderCache
{
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, ProofHeader> _headers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ProofHeader>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public ProofHeaderCache()
    {
        _lookup = _headers.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _headers.Count;

    public bool TryGet(ReadOnlySpan<char> encodedHeader, out ProofHeader header) =>
        _lookup.TryGetValue(encodedHeader, out header!);

    public ProofHeader Add(ReadOnlySpan<char> encodedHeader, ProofHeader header)
    {
        if (_headers.Count >= Capacity)
        {
            foreach (var entry in _headers)
            {
                if (_headers.TryRemove(entry))
                {
                    entry.Value.Keys.Evict();
                }
            }
        }

        return _lookup.TryAdd(encodedHeader, header) || !_lookup.TryGetValue(encodedHeader, out var existing) ? header : existing;
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
