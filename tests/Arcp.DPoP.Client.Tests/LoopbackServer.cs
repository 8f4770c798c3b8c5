using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// A real Kestrel server on a free loopback port (its own origin), that records the headers of every request it
/// receives. The test maps the endpoints.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly List<RecordedRequest> _received = [];

    private LoopbackServer(WebApplication app, int port)
    {
        App = app;
        Port = port;
        Origin = new Uri($"http://127.0.0.1:{port}");
    }

    public WebApplication App { get; }

    public int Port { get; }

    /// <summary>The server's origin, <c>http://127.0.0.1:port</c>.</summary>
    public Uri Origin { get; }

    /// <summary>What reached the server, in order.</summary>
    public IReadOnlyList<RecordedRequest> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public Uri Url(string pathAndQuery) => new(Origin, pathAndQuery);

    /// <summary>Builds a server; <paramref name="configure"/> adds services, <paramref name="map"/> the endpoints.</summary>
    public static async Task<LoopbackServer> StartAsync(Action<LoopbackServer, WebApplication> map, Action<int, IServiceCollection>? configure = null)
    {
        int port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration["AllowedHosts"] = "*"; // any Host the tests send (the sample's appsettings.json, copied beside the tests, names only loopback hosts)
        builder.WebHost.UseKestrel().UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        configure?.Invoke(port, builder.Services);
        var app = builder.Build();
        var server = new LoopbackServer(app, port);
        app.Use(async (context, next) =>
        {
            lock (server._received)
            {
                server._received.Add(new RecordedRequest(
                    context.Request.Method,
                    context.Request.Path + context.Request.QueryString,
                    context.Request.Headers.Authorization.ToString(),
                    context.Request.Headers["DPoP"].ToString(),
                    context.Request.Headers.Host.ToString()));
            }

            await next(context);
        });
        map(server, app);
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>One request as a server saw it.</summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, string Authorization, string DPoP, string Host);
