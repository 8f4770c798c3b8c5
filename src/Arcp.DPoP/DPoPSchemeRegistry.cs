namespace Arcp.DPoP;

/// <summary>
/// The names of the DPoP schemes <c>AddDPoP</c> registered. With one, no request can be seen by two DPoP schemes, so
/// <see cref="DPoPFirstUse"/> need not leave a note in <c>HttpContext.Items</c> for the other (issue 14: a dictionary
/// per request nobody reads).
/// </summary>
internal sealed class DPoPSchemeRegistry
{
    private readonly HashSet<string> _schemes = new(StringComparer.Ordinal);

    public void Add(string scheme)
    {
        lock (_schemes)
        {
            _schemes.Add(scheme);
        }
    }

    /// <summary>
    /// Whether a request of <paramref name="scheme"/> may also be authenticated by another DPoP scheme: more than one
    /// was registered, or this one was not registered through <c>AddDPoP</c> (then nothing is known).
    /// </summary>
    public bool MayShareRequests(string scheme)
    {
        lock (_schemes)
        {
            return _schemes.Count != 1 || !_schemes.Contains(scheme);
        }
    }

    /// <summary>The registry of <paramref name="services"/>, added to them on first use.</summary>
    public static DPoPSchemeRegistry In(Microsoft.Extensions.DependencyInjection.IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(DPoPSchemeRegistry) && descriptor.ImplementationInstance is DPoPSchemeRegistry existing)
            {
                return existing;
            }
        }

        var registry = new DPoPSchemeRegistry();
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, registry);
        return registry;
    }
}
