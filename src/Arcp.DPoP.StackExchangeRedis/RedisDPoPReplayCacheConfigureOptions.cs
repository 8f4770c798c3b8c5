using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP.StackExchangeRedis;

/// <summary>
/// Binds <see cref="RedisDPoPReplayCacheOptions"/> from configuration <c>Authentication:DPoPRedisReplayCache</c>
/// (<c>Configuration</c>, <c>KeyPrefix</c>, <c>Database</c>, <c>Timeout</c>), before the code passed to
/// <c>AddDPoPRedisReplayCache</c> runs. A value that cannot be read stops the application at startup.
/// </summary>
internal sealed class RedisDPoPReplayCacheConfigureOptions : IConfigureOptions<RedisDPoPReplayCacheOptions>
{
    public const string SectionName = "Authentication:DPoPRedisReplayCache";

    private readonly IConfiguration? _configuration;

    public RedisDPoPReplayCacheConfigureOptions(IServiceProvider services)
    {
        _configuration = services.GetService<IConfiguration>();
    }

    public void Configure(RedisDPoPReplayCacheOptions options)
    {
        var section = _configuration?.GetSection(SectionName);
        if (section is null || !section.GetChildren().Any())
        {
            return;
        }

        options.Configuration = section[nameof(RedisDPoPReplayCacheOptions.Configuration)] ?? options.Configuration;
        options.KeyPrefix = section[nameof(RedisDPoPReplayCacheOptions.KeyPrefix)] ?? options.KeyPrefix;
        if (section[nameof(RedisDPoPReplayCacheOptions.Database)] is { } database)
        {
            options.Database = int.TryParse(database, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number)
                ? number
                : throw Invalid(nameof(RedisDPoPReplayCacheOptions.Database), database, "a whole number");
        }

        if (section[nameof(RedisDPoPReplayCacheOptions.Timeout)] is { } timeout)
        {
            options.Timeout = ReadTimeSpan(timeout);
        }
    }

    // A bare number is seconds ("0.5"), as for the DPoP scheme's options; otherwise hh:mm:ss(.fff).
    private static TimeSpan ReadTimeSpan(string value)
    {
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && double.IsFinite(seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw Invalid(nameof(RedisDPoPReplayCacheOptions.Timeout), value, "a number of seconds or hh:mm:ss");
    }

    private static InvalidOperationException Invalid(string key, string value, string expected) =>
        new($"Configuration '{SectionName}:{key}' has the value '{value}', which is not {expected}.");
}
