using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Arcp.DPoP;

/// <summary>
/// The <see cref="DPoPSchemeState"/> of every scheme, one per options instance: options reloaded from configuration
/// get a new state, and a state is collected with its options.
/// </summary>
internal sealed class DPoPSchemeStates
{
    private readonly ConditionalWeakTable<DPoPOptions, DPoPSchemeState> _states = [];
    private readonly IHostEnvironment? _environment;
    private readonly IOptionsMonitor<HostFilteringOptions>? _hostFiltering;
    private readonly DPoPMetrics? _metrics;
    private readonly DPoPSchemeRegistry? _registry;

    public DPoPSchemeStates(IServiceProvider services)
    {
        _environment = services.GetService(typeof(IHostEnvironment)) as IHostEnvironment;
        _hostFiltering = services.GetService(typeof(IOptionsMonitor<HostFilteringOptions>)) as IOptionsMonitor<HostFilteringOptions>;
        _metrics = services.GetService(typeof(DPoPMetrics)) as DPoPMetrics;
        _registry = services.GetService(typeof(DPoPSchemeRegistry)) as DPoPSchemeRegistry;
    }

    // Looked up first: GetValue's factory captures the scheme, a closure per request even when the state exists.
    public DPoPSchemeState Get(string scheme, DPoPOptions options) =>
        _states.TryGetValue(options, out var state) ? state : Create(scheme, options);

    private DPoPSchemeState Create(string scheme, DPoPOptions options) =>
        _states.GetValue(options, o => new DPoPSchemeState(scheme, o, DPoPHostPolicy.Resolve(o, _environment, _hostFiltering?.CurrentValue), _metrics)
        {
            MayShareRequests = _registry?.MayShareRequests(scheme) ?? true,
        });
}
