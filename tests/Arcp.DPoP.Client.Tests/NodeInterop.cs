using System.Diagnostics;
using System.Text.Json;

namespace Arcp.DPoP.Client.Tests;

/// <summary>
/// Runs tests/interop/dpop-proof.mjs (panva's jose and dpop) with Node.js; installs its locked packages with
/// <c>npm ci</c> the first time. A machine without node fails the tests that need it, with a message saying so.
/// </summary>
public sealed class NodeInterop
{
    private readonly Lazy<string> _directory = new(Prepare, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Runs the script with the arguments; its stdout as JSON, or an exception with its stderr.</summary>
    public JsonElement Run(params string[] arguments)
    {
        string directory = _directory.Value;
        var (exitCode, stdout, stderr) = Execute("node", directory, ["dpop-proof.mjs", .. arguments]);
        if (exitCode != 0)
        {
            throw new InteropException($"node dpop-proof.mjs {arguments.FirstOrDefault()} failed ({exitCode}): {stderr.Trim()}");
        }

        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static string Prepare()
    {
        string directory = Path.Combine(RepositoryRoot(), "tests", "interop");
        const string Needed = "the interop tests need Node.js 20 or later, with npm: they check our Ed25519 proofs against panva's jose " +
            "and dpop. Install nodejs and npm (bash .ci/run does it with apt-get), then run the tests again.";
        string version;
        try
        {
            (int code, version, _) = Execute("node", directory, ["--version"]);
            if (code != 0)
            {
                throw new InvalidOperationException("node --version failed");
            }
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InteropException("Node.js is not installed, and " + Needed);
        }

        // jose 6 uses WebCrypto's Ed25519, complete from Node.js 20 on.
        if (!int.TryParse(version.Trim().TrimStart('v').Split('.')[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int major) || major < 20)
        {
            throw new InteropException($"Node.js {version.Trim()} is too old: " + Needed);
        }

        if (!File.Exists(Path.Combine(directory, "node_modules", "jose", "package.json")) ||
            !File.Exists(Path.Combine(directory, "node_modules", "dpop", "package.json")))
        {
            var (code, stdout, stderr) = Execute("npm", directory, ["ci", "--no-audit", "--no-fund"]);
            if (code != 0)
            {
                throw new InteropException($"npm ci in tests/interop failed ({code}): {stdout.Trim()} {stderr.Trim()}");
            }
        }

        return directory;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Arcp.DPoP.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InteropException("The repository root (with Arcp.DPoP.sln) was not found above " + AppContext.BaseDirectory);
    }

    private static (int ExitCode, string Stdout, string Stderr) Execute(string fileName, string directory, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new InteropException($"{fileName} {string.Join(' ', arguments)} did not finish within 3 minutes");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}

/// <summary>The interop side could not run or refused; the message says why.</summary>
public sealed class InteropException : Exception
{
    public InteropException(string message)
        : base(message)
    {
    }
}
