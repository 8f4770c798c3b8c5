using Arcp.DPoP.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds DPoP signing to a named or typed <see cref="HttpClient"/>.</summary>
public static class DPoPHttpClientBuilderExtensions
{
    /// <summary>
    /// Signs every request of this client with the <see cref="DPoPSession"/> registered in DI
    /// (<c>services.AddSingleton(new DPoPSession())</c>).
    /// </summary>
    /// <param name="builder">The client builder from <c>AddHttpClient(...)</c>.</param>
    public static IHttpClientBuilder AddDPoP(this IHttpClientBuilder builder) =>
        builder.AddDPoP(sp => sp.GetRequiredService<DPoPSession>());

    /// <summary>Signs every request of this client with the session <paramref name="sessionFactory"/> returns.</summary>
    /// <param name="builder">The client builder from <c>AddHttpClient(...)</c>.</param>
    /// <param name="sessionFactory">Returns the session (one key and token per agent session).</param>
    public static IHttpClientBuilder AddDPoP(this IHttpClientBuilder builder, Func<IServiceProvider, DPoPSession> sessionFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(sessionFactory);
        return builder.AddHttpMessageHandler(sp => new DPoPMessageHandler(sessionFactory(sp)));
    }

    /// <summary>
    /// Signs every request of this client with a DPoP key of its own and an access token bound to it, which this
    /// client gets from <see cref="DPoPTokenOptions.TokenEndpoint"/> (client credentials, RFC 9449 §5), caches,
    /// refreshes before it expires, drops when the key is rotated, and replaces once when the API answers 401
    /// <c>invalid_token</c>.
    /// </summary>
    /// <remarks>
    /// The client's <see cref="DPoPSession"/> is a keyed singleton named after the client (<c>AddHttpClient("api")</c>:
    /// <c>sp.GetRequiredKeyedService&lt;DPoPSession&gt;("api")</c>), to rotate its key; register one under that key
    /// first to choose the key. Time comes from the <see cref="TimeProvider"/> in DI, if any.
    /// </remarks>
    /// <param name="builder">The client builder from <c>AddHttpClient(...)</c>.</param>
    /// <param name="configure">Sets the token endpoint and client credentials.</param>
    public static IHttpClientBuilder AddDPoP(this IHttpClientBuilder builder, Action<DPoPTokenOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        string name = builder.Name;
        var services = builder.Services;
        services.Configure(name, configure);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DPoPTokenOptions>, DPoPTokenOptionsValidator>());
        services.TryAddKeyedSingleton<DPoPSession>(name, static (_, _) => new DPoPSession());
        services.TryAddKeyedSingleton<DPoPTokenManager>(name, static (sp, key) =>
        {
            string clientName = (string)key!;
            return new DPoPTokenManager(
                sp.GetRequiredKeyedService<DPoPSession>(clientName),
                sp.GetRequiredService<IHttpClientFactory>(),
                sp.GetRequiredService<IOptionsMonitor<DPoPTokenOptions>>().Get(clientName),
                sp.GetService<TimeProvider>() ?? TimeProvider.System);
        });

        // The token endpoint gets the client secret and a proof: it follows no redirects (another origin would get them).
        services.AddHttpClient(DPoPTokenManager.TokenHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler { AllowAutoRedirect = false });

        return builder.AddHttpMessageHandler(sp => new DPoPMessageHandler(
            sp.GetRequiredKeyedService<DPoPSession>(name),
            sp.GetRequiredKeyedService<DPoPTokenManager>(name)));
    }
}
