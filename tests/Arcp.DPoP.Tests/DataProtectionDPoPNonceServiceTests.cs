using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.Tests;

public class DataProtectionDPoPNonceServiceTests
{
    private static readonly DateTimeOffset WindowStart = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly FakeTimeProvider _clock = new(WindowStart);
    private readonly DefaultHttpContext _context = new();
    private readonly DataProtectionDPoPNonceService _service = new(new EphemeralDataProtectionProvider());

    private DPoPOptions Options(TimeSpan? lifetime = null) => new() { TimeProvider = _clock, NonceLifetime = lifetime ?? TimeSpan.FromMinutes(5) };

    [Fact]
    public async Task A_nonce_is_valid_then_renewed_then_expired()
    {
        var options = Options();
        string nonce = await _service.GetNonceAsync(_context, "DPoP", options);
        Assert.Equal(DPoPNonceValidation.Valid, await _service.ValidateNonceAsync(_context, "DPoP", options, nonce));
        _clock.Advance(TimeSpan.FromSeconds(149));
        Assert.Equal(DPoPNonceValidation.Valid, await _service.ValidateNonceAsync(_context, "DPoP", options, nonce));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DPoPNonceValidation.ValidRenew, await _service.ValidateNonceAsync(_context, "DPoP", options, nonce));
        _clock.Advance(TimeSpan.FromSeconds(150));
        Assert.Equal(DPoPNonceValidation.Expired, await _service.ValidateNonceAsync(_context, "DPoP", options, nonce));
    }

    [Fact]
    public async Task One_nonce_serves_a_whole_window_and_the_next_window_gets_another()
    {
        var options = Options();
        string first = await _service.GetNonceAsync(_context, "DPoP", options);
        _clock.Advance(TimeSpan.FromSeconds(149));
        Assert.Equal(first, await _service.GetNonceAsync(_context, "DPoP", options));
        _clock.Advance(TimeSpan.FromSeconds(1));
        string second = await _service.GetNonceAsync(_context, "DPoP", options);
        Assert.NotEqual(first, second);
        Assert.Equal(DPoPNonceValidation.Valid, await _service.ValidateNonceAsync(_context, "DPoP", options, second));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    [InlineData("bm90LWEtbm9uY2U")]
    public async Task Garbage_is_invalid_never_an_exception(string nonce)
    {
        Assert.Equal(DPoPNonceValidation.Invalid, await _service.ValidateNonceAsync(_context, "DPoP", Options(), nonce));
    }

    [Fact]
    public async Task A_nonce_of_another_key_ring_is_invalid()
    {
        var other = new DataProtectionDPoPNonceService(new EphemeralDataProtectionProvider());
        string foreign = await other.GetNonceAsync(_context, "DPoP", Options());
        Assert.Equal(DPoPNonceValidation.Invalid, await _service.ValidateNonceAsync(_context, "DPoP", Options(), foreign));
    }

    [Fact]
    public async Task A_nonce_of_another_scheme_is_invalid_even_with_the_same_key_ring()
    {
        var options = Options();
        string schemeA = await _service.GetNonceAsync(_context, "A", options);
        string schemeB = await _service.GetNonceAsync(_context, "B", options);
        Assert.NotEqual(schemeA, schemeB);
        Assert.Equal(DPoPNonceValidation.Valid, await _service.ValidateNonceAsync(_context, "A", options, schemeA));
        Assert.Equal(DPoPNonceValidation.Invalid, await _service.ValidateNonceAsync(_context, "B", options, schemeA));
        Assert.Equal(DPoPNonceValidation.Invalid, await _service.ValidateNonceAsync(_context, "A", options, schemeB));
    }

    [Fact]
    public async Task A_nonce_from_the_future_is_invalid()
    {
        var futureClock = new FakeTimeProvider(WindowStart.AddMinutes(10));
        string future = await _service.GetNonceAsync(_context, "DPoP", new DPoPOptions { TimeProvider = futureClock });
        Assert.Equal(DPoPNonceValidation.Invalid, await _service.ValidateNonceAsync(_context, "DPoP", Options(), future));
    }

    [Fact]
    public async Task Nonces_are_header_safe()
    {
        string nonce = await _service.GetNonceAsync(_context, "DPoP", Options());
        Assert.Matches("^[A-Za-z0-9_-]+$", nonce);
    }
}
