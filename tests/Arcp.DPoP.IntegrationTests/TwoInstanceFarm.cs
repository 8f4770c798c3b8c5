namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Two instances of the sample API on one Redis and one development issuer key file (<see cref="FarmFactory"/>), with a
/// client each: the web farm the farm tests send to. <see cref="Instance"/> makes more on the same Redis and key.
/// </summary>
internal sealed class TwoInstanceFarm : IAsyncDisposable
{
    private readonly RedisServer _redis;
    private readonly string _issuerKeyFile = FarmFactory.NewKeyFile();

    /// <param name="redis">The Redis both instances share.</param>
    /// <param name="configure">Settings both instances get before their first request.</param>
    public TwoInstanceFarm(RedisServer redis, Action<SampleApiFactory>? configure = null)
    {
        _redis = redis;
        One = Instance();
        Two = Instance();
        configure?.Invoke(One);
        configure?.Invoke(Two);
        Client1 = One.CreateClient();
        Client2 = Two.CreateClient();
    }

    public SampleApiFactory One { get; }

    public SampleApiFactory Two { get; }

    public HttpClient Client1 { get; }

    public HttpClient Client2 { get; }

    /// <summary>Another instance on the same Redis and issuer key; the caller disposes it.</summary>
    public SampleApiFactory Instance(bool requireNonce = false) => FarmFactory.Instance(_redis, _issuerKeyFile, requireNonce);

    public async ValueTask DisposeAsync()
    {
        Client1.Dispose();
        Client2.Dispose();
        await One.DisposeAsync();
        await Two.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_issuerKeyFile)!, recursive: true);
    }
}
