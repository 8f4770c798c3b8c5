using Arcp.DPoP.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Arcp.DPoP.Tests;

/// <summary>A proof validator on a fixed clock, a request URI, an access token and one key: what proof unit tests start from.</summary>
public abstract class ProofValidatorTestBase : IDisposable
{
    protected const string Uri = "https://api.example.com/agents/register";
    protected const string Token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
    protected static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    protected FakeTimeProvider Clock { get; } = new(Now);

    protected TestKey Key { get; } = TestKey.Create();

    public void Dispose()
    {
        Key.Dispose();
        GC.SuppressFinalize(this);
    }

    protected DPoPProofValidator Validator(Action<DPoPOptions>? configure = null)
    {
        var options = new DPoPOptions { TimeProvider = Clock };
        configure?.Invoke(options);
        return new DPoPProofValidator(options);
    }
}
