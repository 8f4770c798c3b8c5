using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;

namespace Arcp.DPoP;

/// <summary>
/// Stateless server nonces: the start of a time window, protected (encrypted and authenticated) with ASP.NET Core
/// Data Protection. Nothing is stored; any instance that shares the key ring (for a web farm:
/// <c>AddDataProtection().PersistKeysToStackExchangeRedis(...)</c> with one application name) accepts them.
/// </summary>
/// <remarks>
/// <para>
/// A new nonce is minted every half <see cref="DPoPOptions.NonceLifetime"/> and handed to every client in that
/// window, so issuing one costs nothing per request. A nonce is accepted for <see cref="DPoPOptions.NonceLifetime"/>
/// after its window began; once it is older than half of that, a successful response carries the next one, so a
/// well-behaved client always holds a nonce with at least half its life left. Nonces only prove freshness; replay is
/// still refused by <c>jti</c>.
/// </para>
/// <para>
/// Each authentication scheme protects its nonces with its own purpose (<see cref="Purpose"/>, then the scheme name),
/// so a nonce one scheme handed out is refused by every other scheme of the application. Applications are kept apart
/// by Data Protection itself: its application discriminator (<c>SetApplicationName</c>) isolates the key ring's
/// protectors, so two applications that share a key ring must not share an application name unless they are meant to
/// accept each other's nonces (the instances of one web farm are).
/// </para>
/// </remarks>
public sealed class DataProtectionDPoPNonceService : IDPoPNonceService
{
    /// <summary>The root Data Protection purpose of DPoP nonces; the scheme name is the sub-purpose.</summary>
    public const string Purpose = "Arcp.DPoP.Nonce.v1";

    private readonly IDataProtectionProvider _provider;
    private readonly ConcurrentDictionary<string, IDataProtector> _protectors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Scheme, long Window), CurrentNonce> _current = new();

    /// <summary>Creates the service.</summary>
    /// <param name="dataProtectionProvider">The app's Data Protection provider.</param>
    public DataProtectionDPoPNonceService(IDataProtectionProvider dataProtectionProvider)
    {
        ArgumentNullException.ThrowIfNull(dataProtectionProvider);
        _provider = dataProtectionProvider;
    }

    /// <inheritdoc />
    public ValueTask<string> GetNonceAsync(HttpContext context, string scheme, DPoPOptions options)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(options);
        long window = Window(options);
        long now = Now(options);
        long windowStart = now - (now % window);
        var current = _current.GetValueOrDefault((scheme, window));
        if (current is null || current.WindowStart != windowStart)
        {
            Span<byte> payload = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64BigEndian(payload, windowStart);
            current = new CurrentNonce(windowStart, Base64Url.EncodeToString(Protector(scheme).Protect(payload.ToArray())));
            _current[(scheme, window)] = current;
        }

        return ValueTask.FromResult(current.Value);
    }

    /// <inheritdoc />
    public ValueTask<DPoPNonceValidation> ValidateNonceAsync(HttpContext context, string scheme, DPoPOptions options, string nonce)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nonce);
        return ValueTask.FromResult(Validate(Protector(scheme), options, nonce));
    }

    // The purpose chain (Purpose, scheme) derives a key of its own per scheme from the key ring.
    private IDataProtector Protector(string scheme) =>
        _protectors.GetOrAdd(scheme, static (name, provider) => provider.CreateProtector(Purpose, name), _provider);

    private static DPoPNonceValidation Validate(IDataProtector protector, DPoPOptions options, string nonce)
    {
        if (nonce.Length > 512 || !Base64UrlStrict.IsValid(nonce))
        {
            return DPoPNonceValidation.Invalid;
        }

        byte[] payload;
        try
        {
            payload = protector.Unprotect(Base64Url.DecodeFromChars(nonce));
        }
        catch (CryptographicException)
        {
            return DPoPNonceValidation.Invalid; // forged, another scheme's, or protected with another key ring
        }

        if (payload.Length != sizeof(long))
        {
            return DPoPNonceValidation.Invalid;
        }

        long issued = BinaryPrimitives.ReadInt64BigEndian(payload);
        long age = Now(options) - issued;
        long lifetime = (long)options.NonceLifetime.TotalSeconds;
        if (age < -(long)options.ClockSkew.TotalSeconds)
        {
            return DPoPNonceValidation.Invalid; // from the future: another clock or another issuer
        }

        if (age >= lifetime)
        {
            return DPoPNonceValidation.Expired;
        }

        return age >= Window(options) ? DPoPNonceValidation.ValidRenew : DPoPNonceValidation.Valid;
    }

    private static long Window(DPoPOptions options) => Math.Max(1, (long)options.NonceLifetime.TotalSeconds / 2);

    private static long Now(DPoPOptions options) => options.Clock.GetUtcNow().ToUnixTimeSeconds();

    private sealed record CurrentNonce(long WindowStart, string Value);
}
