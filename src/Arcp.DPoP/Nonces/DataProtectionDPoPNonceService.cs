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
/// A new nonce is minted every half <see cref="DPoPOptions.NonceLifetime"/> and handed to every client in that
/// window, so issuing one costs nothing per request. A nonce is accepted for <see cref="DPoPOptions.NonceLifetime"/>
/// after its window began; once it is older than half of that, a successful response carries the next one, so a
/// well-behaved client always holds a nonce with at least half its life left. Nonces only prove freshness; replay is
/// still refused by <c>jti</c>.
/// </remarks>
public sealed class DataProtectionDPoPNonceService : IDPoPNonceService
{
    /// <summary>The Data Protection purpose of DPoP nonces.</summary>
    public const string Purpose = "Arcp.DPoP.Nonce.v1";

    private readonly IDataProtector _protector;
    private readonly ConcurrentDictionary<long, CurrentNonce> _current = new();

    /// <summary>Creates the service.</summary>
    /// <param name="dataProtectionProvider">The app's Data Protection provider.</param>
    public DataProtectionDPoPNonceService(IDataProtectionProvider dataProtectionProvider)
    {
        ArgumentNullException.ThrowIfNull(dataProtectionProvider);
        _protector = dataProtectionProvider.CreateProtector(Purpose);
    }

    /// <inheritdoc />
    public ValueTask<string> GetNonceAsync(HttpContext context, DPoPOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long window = Window(options);
        long now = Now(options);
        long windowStart = now - (now % window);
        var current = _current.GetValueOrDefault(window);
        if (current is null || current.WindowStart != windowStart)
        {
            Span<byte> payload = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64BigEndian(payload, windowStart);
            current = new CurrentNonce(windowStart, Base64Url.EncodeToString(_protector.Protect(payload.ToArray())));
            _current[window] = current;
        }

        return ValueTask.FromResult(current.Value);
    }

    /// <inheritdoc />
    public ValueTask<DPoPNonceValidation> ValidateNonceAsync(HttpContext context, DPoPOptions options, string nonce)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(nonce);
        return ValueTask.FromResult(Validate(options, nonce));
    }

    private DPoPNonceValidation Validate(DPoPOptions options, string nonce)
    {
        if (nonce.Length > 512 || !Base64UrlStrict.IsValid(nonce))
        {
            return DPoPNonceValidation.Invalid;
        }

        byte[] payload;
        try
        {
            payload = _protector.Unprotect(Base64Url.DecodeFromChars(nonce));
        }
        catch (CryptographicException)
        {
            return DPoPNonceValidation.Invalid; // forged, or protected with another key ring
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

    private static long Now(DPoPOptions options) => (options.TimeProvider ?? TimeProvider.System).GetUtcNow().ToUnixTimeSeconds();

    private sealed record CurrentNonce(long WindowStart, string Value);
}
