namespace Arcp.DPoP;

/// <summary>
/// What a scheme's options allow of a proof, read once: the algorithms (in the options' order, which is the
/// challenge's <c>algs</c>), the RSA key size limit and the public origin; the time settings are read from the
/// options at each check.
/// </summary>
internal sealed class ProofPolicy
{
    // RSA key policy: at least 2048 bits (RFC 8725 §3.5 via NIST SP 800-131A); at most DPoPOptions.MaxRsaKeySize
    // (4096 by default, never above 8192): a bigger key only makes verification slower, and no DPoP client needs one.
    public const int MaxRsaModulusBits = 8192;
    public const int MinRsaModulusBits = 2048;

    private readonly DPoPAlgorithm[] _allowed;

    public ProofPolicy(DPoPOptions options)
    {
        Options = options;
        var allowed = new List<DPoPAlgorithm>();
        foreach (string name in options.AllowedAlgorithms)
        {
            var algorithm = DPoPAlgorithm.Find(name)
                ?? throw new ArgumentException($"'{name}' is not a supported DPoP proof algorithm.", nameof(options));
            allowed.Add(algorithm);
        }

        _allowed = [.. allowed];
        AllowedList = string.Join(' ', options.AllowedAlgorithms);
        MaxRsaKeyBits = Math.Clamp(options.MaxRsaKeySize, MinRsaModulusBits, MaxRsaModulusBits);
        if (!string.IsNullOrEmpty(options.PublicOrigin) && HtuNormalizer.TryNormalize(options.PublicOrigin, out string origin, out _))
        {
            PublicOrigin = origin.TrimEnd('/');
        }
    }

    /// <summary>The options: <see cref="DPoPOptions.Clock"/>, <see cref="DPoPOptions.ProofLifetime"/>, <see cref="DPoPOptions.ClockSkew"/>, <see cref="DPoPOptions.MaxProofLength"/>.</summary>
    public DPoPOptions Options { get; }

    /// <summary>The allowed algorithms, space-separated, as the <c>algs</c> challenge parameter lists them.</summary>
    public string AllowedList { get; }

    /// <summary>The largest RSA modulus accepted, in bits (<see cref="DPoPOptions.MaxRsaKeySize"/>, from 2048 to 8192).</summary>
    public int MaxRsaKeyBits { get; }

    /// <summary>The normalised <see cref="DPoPOptions.PublicOrigin"/> without a trailing slash, if one is set.</summary>
    public string? PublicOrigin { get; }

    /// <summary>The allowed algorithm named <paramref name="alg"/> (case-sensitive), or null.</summary>
    public DPoPAlgorithm? FindAllowed(string alg)
    {
        foreach (var algorithm in _allowed)
        {
            if (string.Equals(algorithm.Name, alg, StringComparison.Ordinal))
            {
                return algorithm;
            }
        }

        return null;
    }
}
