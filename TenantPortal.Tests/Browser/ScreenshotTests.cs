using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class ScreenshotTests(BrowserApp browser)
{
    /// <summary>Takes the README screenshot; it is written to docs/ only when TENANTPORTAL_UPDATE_SCREENSHOT=1.</summary>
    [Fact]
    public async Task The_audit_log_of_a_new_organization_renders_for_the_readme_screenshot()
    {
        await using var session = await browser.NewSessionAsync(1440, 900);
        // The browser collection gets a fresh database each run, so this address is free.
        await session.RegisterConfirmAndSignInAsync("Ada Lovelace", "ada@lovelace.example", "Analytical1");
        await session.CreateOrganizationAsync("Analytical Engines");
        await session.GotoInteractiveAsync("audit");
        await Expect(session.Page.GetByTestId("audit-chart")).ToBeVisibleAsync();

        var target = Environment.GetEnvironmentVariable("TENANTPORTAL_UPDATE_SCREENSHOT") == "1"
            ? Path.Combine(AppProcess.RepositoryRoot, "docs", "screenshot.png")
            : Path.Combine(AppContext.BaseDirectory, "screenshot.png");
        var png = await session.Page.ScreenshotAsync(new() { Path = target });

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
        Assert.True(png.Length > 10_000, "a rendered page, not a blank image");
        Assert.Empty(session.Errors);
    }
}
