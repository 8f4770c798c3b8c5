using Arcp.DPoP.Client;

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
}
