namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// Instances of the sample API that share one Redis and one development issuer key file, as a web farm behind a load
/// balancer shares its issuer: a token one instance issued is accepted by every other.
/// </summary>
internal static class FarmFactory
{
    public static SampleApiFactory Instance(RedisServer redis, string issuerKeyFile, bool requireNonce = false)
    {
        var factory = new SampleApiFactory();
        factory.Settings["ConnectionStrings:Redis"] = redis.Configuration;
        factory.Settings["DevelopmentIssuer:KeyFile"] = issuerKeyFile;
        if (requireNonce)
        {
            factory.Settings["Authentication:Schemes:DPoP:RequireNonce"] = "true";
        }

        return factory;
    }

    /// <summary>A key file path in a new temporary folder (the issuer makes the key there on first use).</summary>
    public static string NewKeyFile() => Path.Combine(Directory.CreateTempSubdirectory("arcp-dpop-farm-").FullName, "signing-key.pem");
}
