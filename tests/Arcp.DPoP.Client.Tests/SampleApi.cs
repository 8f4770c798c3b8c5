using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Arcp.DPoP.Client.Tests;

/// <summary>The sample API in process, optionally requiring server nonces.</summary>
public sealed class SampleApi : WebApplicationFactory<Program>
{
    public static readonly Uri BaseAddress = new("http://localhost/");

    public bool RequireNonce { get; init; }

    public Action<IServiceCollection>? ExtraServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development"); // the development token issuer runs only in Development
        builder.UseSetting("Authentication:Schemes:DPoP:RequireNonce", RequireNonce ? "true" : "false");
        builder.ConfigureTestServices(services => ExtraServices?.Invoke(services));
    }

    /// <summary>The transport to the in-process server, counting what goes through it.</summary>
    public CountingHandler Transport() => new() { InnerHandler = Server.CreateHandler() };

    public Arcp.DPoP.Development.DPoPDevelopmentIssuer Issuer => Services.GetRequiredService<Arcp.DPoP.Development.DPoPDevelopmentIssuer>();
}

/// <summary>Counts the requests that reach the server and keeps their bodies.</summary>
public sealed class CountingHandler : DelegatingHandler
{
    private int _count;

    public int Count => _count;

    public List<string> Bodies { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _count);
        if (request.Content is not null)
        {
            string body = await request.Content.ReadAsStringAsync(cancellationToken);
            lock (Bodies)
            {
                Bodies.Add(body);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
