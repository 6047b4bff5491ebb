using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class AuditFlowTests(BrowserApp browser)
{
    [Fact]
    public async Task An_owner_sees_the_event_of_a_new_workspace_filters_to_it_and_verifies_the_chain()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await using var session = await browser.NewSessionAsync();
        var page = session.Page;
        await session.RegisterConfirmAndSignInAsync("Auditor", $"auditor.{tag}@example.com", "Audited123x");
        await session.CreateOrganizationAsync($"Audited {tag}");
        await page.OpenDialogAsync("New workspace");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync($"Ops {tag}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();
        await Expect(page.Locator(".tp-grid")).ToContainTextAsync($"Ops {tag}");

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log", Exact = true }).ClickAsync();
        var grid = page.GetByTestId("audit-grid");
        await Expect(grid).ToContainTextAsync("workspace_create");
        await Expect(grid).ToContainTextAsync("org_create");

        await page.GetByLabel("Text in details").FillAsync($"Ops {tag}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(grid.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(grid).ToContainTextAsync("workspace_create");

        await grid.GetByRole(AriaRole.Button, new() { Name = "Details" }).ClickAsync();
        await Expect(page.GetByTestId("audit-diff").Locator("tr[data-field=name] td").Last).ToHaveTextAsync($"Ops {tag}");
        await page.GetByTestId("audit-details").Locator("xpath=..").GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("audit-details")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Verify integrity" }).ClickAsync();
        await Expect(page.GetByTestId("verification")).ToContainTextAsync("Intact");

        // The export follows the filter: one data row, and the export itself goes on the record.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" }).ClickAsync());
        var path = Path.Combine(Path.GetTempPath(), $"audit-{tag}.csv");
        await download.SaveAsAsync(path);
        var lines = (await File.ReadAllLinesAsync(path, TestContext.Current.CancellationToken)).ToList();
        File.Delete(path);
        Assert.StartsWith("seq,occurred_at", lines[0], StringComparison.Ordinal);
        Assert.Equal(2, lines.Count);
        Assert.Contains(",workspace_create,", lines[1], StringComparison.Ordinal);
        await Expect(page.GetByText("1 event exported.")).ToBeVisibleAsync();
        Assert.Equal(1L, await Sql.ScalarAsync<long>(browser.Database.AdminConnectionString,
            "SELECT count(*) FROM audit_events e JOIN organizations o ON o.id = e.org_id WHERE o.name = @n AND e.action = 'export' AND e.details ->> 'rows' = '1'",
            ("n", $"Audited {tag}")));
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task An_inverted_date_range_gets_a_message()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await using var session = await browser.NewSessionAsync();
        await session.RegisterConfirmAndSignInAsync("Dates", $"dates.{tag}@example.com", "Dates12345x");
        await session.CreateOrganizationAsync($"Dates {tag}");
        await session.GotoInteractiveAsync("audit");

        await session.Page.Locator("[data-testid=audit-filters] input[name=From]").FillAsync("2026-05-02");
        await session.Page.Locator("[data-testid=audit-filters] input[name=To]").FillAsync("2026-05-01");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();

        await Expect(session.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The start date is after the end date");
        Assert.Empty(session.Errors);
    }
}
