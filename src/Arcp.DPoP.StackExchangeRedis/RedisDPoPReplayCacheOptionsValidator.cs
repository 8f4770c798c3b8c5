using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>Refuses, at startup, a Redis replay cache that has no way to reach Redis.</summary>
internal sealed class RedisDPoPReplayCacheOptionsValidator : IValidateOptions<RedisDPoPReplayCacheOptions>
{
    private readonly IServiceProviderIsService? _isService;

    public RedisDPoPReplayCacheOptionsValidator(IServiceProvider services)
    {
        // Asks whether a multiplexer is registered without building (connecting) it.
        _isService = services.GetService(typeof(IServiceProviderIsService)) as IServiceProviderIsService;
    }

    public ValidateOptionsResult Validate(string? name, RedisDPoPReplayCacheOptions options)
    {
        var errors = new List<string>();
        bool hasConnection = !string.IsNullOrEmpty(options.Configuration) || options.ConfigurationOptions is not null ||
            options.ConnectionMultiplexerFactory is not null || (_isService?.IsService(typeof(IConnectionMultiplexer)) ?? false);
        if (!hasConnection)
        {
            errors.Add("The DPoP Redis replay cache has no connection: set Configuration (e.g. \"localhost:6379\"), " +
                "ConfigurationOptions or ConnectionMultiplexerFactory, or register an IConnectionMultiplexer.");
        }

        if (!string.IsNullOrEmpty(options.Configuration))
        {
            try
            {
                ConfigurationOptions.Parse(options.Configuration);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"The DPoP Redis replay cache's Configuration is not a StackExchange.Redis configuration string: {ex.Message}");
            }
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            errors.Add("The DPoP Redis replay cache's KeyPrefix must not be empty: it keeps its keys apart from the rest of the database.");
        }

        if (options.Timeout < TimeSpan.FromMilliseconds(10) || options.Timeout > TimeSpan.FromSeconds(30))
        {
            errors.Add($"The DPoP Redis replay cache's Timeout is {options.Timeout}; it must be from 10 ms to 30 s (default 500 ms): every DPoP request may wait that long for Redis.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
