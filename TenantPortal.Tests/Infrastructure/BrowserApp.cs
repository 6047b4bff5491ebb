using Microsoft.Playwright;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, against the app running as its own process on a fresh database.
/// Without Chromium the tests skip with the reason, unless TENANTPORTAL_REQUIRE_BROWSER=1 makes that a failure.
/// </summary>
public sealed class BrowserApp(PostgresCluster cluster) : IAsyncLifetime
{
    public const string RequireVariable = "TENANTPORTAL_REQUIRE_BROWSER";
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
    private IPlaywright? playwright;
    private IBrowser? browser;
    private string? unavailable;

    public AppProcess App { get; private set; } = default!;

    public TestDatabase Database { get; private set; } = default!;

    public async ValueTask InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("TENANTPORTAL_CHROMIUM") is { Length: > 0 } configured
            ? configured
            : Candidates.FirstOrDefault(File.Exists);
        if (executable is null || !File.Exists(executable))
        {
            unavailable = "Chromium was not found (install the Debian package 'chromium' or set TENANTPORTAL_CHROMIUM).";
            return;
        }

        Database = await cluster.CreateDatabaseAsync("browser");
        App = await AppProcess.StartHealthyAsync(Database);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>
    /// A fresh browser context (its own cookies) at the given viewport, or a skip/failure when there is no browser;
    /// against the shared app, or against <paramref name="app"/> (a process of the test's own, started with other settings).
    /// </summary>
    public async Task<BrowserSession> NewSessionAsync(int width = 1440, int height = 900, AppProcess? app = null)
    {
        if (browser is null)
        {
            if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
            {
                Assert.Fail($"{RequireVariable}=1 but the browser cannot run: {unavailable}");
            }

            Assert.Skip(unavailable ?? "The browser is not available.");
        }

        var context = await browser.NewContextAsync(new()
        {
            BaseURL = (app ?? App).BaseAddress.ToString(),
            ViewportSize = new() { Width = width, Height = height },
        });
        context.SetDefaultTimeout(20_000);
        return await BrowserSession.OpenAsync(context);
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
            await cluster.DropDatabaseAsync(Database.Name);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserTests : ICollectionFixture<BrowserApp>
{
    public const string Name = "Browser";
}
