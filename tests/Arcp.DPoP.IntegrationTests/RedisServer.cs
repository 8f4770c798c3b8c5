using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Arcp.DPoP.IntegrationTests;

/// <summary>
/// A real redis-server process on a free loopback port, without persistence, that a test can stop and start again
/// on the same port. Needs the redis-server binary (Debian: apt-get install redis-server); .ci/run installs it.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string[] _extraArguments;
    private Process? _process;

    public RedisServer()
        : this([])
    {
    }

    /// <summary>A server started with more redis-server arguments, e.g. <c>--maxmemory-policy allkeys-lru</c>.</summary>
    internal RedisServer(IEnumerable<string> extraArguments)
    {
        _extraArguments = [.. extraArguments];
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
    }

    public int Port { get; }

    /// <summary>Runs <paramref name="test"/> against a server of its own, started first and stopped after, whatever happens.</summary>
    public static Task RunAsync(Func<RedisServer, Task> test) => RunAsync([], test);

    /// <summary>The same, the server started with more redis-server arguments.</summary>
    internal static async Task RunAsync(IEnumerable<string> extraArguments, Func<RedisServer, Task> test)
    {
        var redis = new RedisServer(extraArguments);
        await redis.StartAsync();
        try
        {
            await test(redis);
        }
        finally
        {
            await redis.StopAsync();
        }
    }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public Task InitializeAsync() => StartAsync();

    public Task DisposeAsync() => StopAsync();

    public async Task StartAsync()
    {
        string binary = FindRedisServer() ?? throw new InvalidOperationException(
            "redis-server is not installed; the web-farm tests need a real Redis (Debian/Ubuntu: apt-get install -y redis-server).");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" }.Concat(_extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (await PingAsync())
            {
                return;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}.");
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"redis-server did not answer PING on port {Port} within 15 s.");
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Freezes the process (SIGSTOP): connections stay open and nothing answers, as a hung server.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("redis-server is not running.");
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
            ?? throw new InvalidOperationException("kill did not start.");
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {signal} {process.Id} exited with {kill.ExitCode}.");
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"));
            var buffer = new byte[16];
            int read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? FindRedisServer()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/local/bin"))
        {
            string candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
