using Microsoft.Playwright;

namespace Arcp.DPoP.BrowserTests;

/// <summary>
/// The system's Chromium (Debian: <c>apt-get install -y chromium</c>; <c>.ci/run</c> installs it), driven headless by
/// Playwright. Playwright never downloads a browser here: it is launched with <c>ExecutablePath</c>. Without Chromium
/// the tests fail, saying how to get it (<c>CHROMIUM_PATH</c> names another binary); they never skip.
/// </summary>
internal static class ChromiumBrowser
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    // The first of Names on PATH, as a shell would find it.
    private static IEnumerable<string> Candidates =>
        from name in Names
        from directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        select Path.Combine(directory, name);

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured
            ? (File.Exists(configured) ? configured : throw new InvalidOperationException($"CHROMIUM_PATH names '{configured}', which does not exist."))
            : Candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
                "The browser tests need Chromium: install it (Debian/Ubuntu: apt-get install -y chromium; .ci/run does) or set " +
                "CHROMIUM_PATH to a Chromium or Chrome binary. To run the other tests without it: " +
                "dotnet test Arcp.DPoP.sln -c Release --filter \"FullyQualifiedName!~Arcp.DPoP.BrowserTests\".");

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        string executable = ExecutablePath;
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Timeout = 20_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}

/// <summary>A test class with its own headless Chromium for each test, closed after it.</summary>
public abstract class BrowserTest : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The browser, launched before the test.</summary>
    protected IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is launched in InitializeAsync.");

    public async Task InitializeAsync() => (_playwright, _browser) = await ChromiumBrowser.LaunchAsync();

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}
