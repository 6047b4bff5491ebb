using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class AgentFlowTests(BrowserApp browser)
{
    [Fact]
    public async Task Typing_in_the_agent_search_asks_the_database_once_typing_pauses()
    {
        // An app of this test's own that logs every SQL command it sends.
        await using var app = await AppProcess.StartHealthyAsync(browser.Database,
            new Dictionary<string, string?> { ["Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command"] = "Information" });
        var tag = Guid.NewGuid().ToString("N")[..6];
        var email = $"gilfoyle.{tag}@example.com";
        await using var session = await browser.NewSessionAsync(app: app);
        await session.RegisterConfirmAndSignInAsync("Gilfoyle", email, "Agents123x");
        var user = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM users WHERE email = @e", ("e", email));
        var org = await Tenants.CreateOrganizationAsync(browser.Database, user, $"pied-{tag}", $"Pied {tag}");
        var workspace = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @o", ("o", org));
        var project = await Tenants.CreateProjectAsync(browser.Database, user, org, workspace, "compression", "Compression");
        foreach (var name in new[] { "encoder", "decoder", "scheduler" })
        {
            await Tenants.CreateAgentAsync(browser.Database, user, org, project, name);
        }

        await session.GotoInteractiveAsync($"projects/{project}/agents");
        await Expect(session.Page.GetByTestId("agents-grid")).ToContainTextAsync("scheduler");
        var before = AgentQueries(app.Output);

        await session.Page.GetByLabel("Search").PressSequentiallyAsync("scheduler", new() { Delay = 40 });

        await Expect(session.Page.GetByTestId("agents-grid")).Not.ToContainTextAsync("encoder");
        await Expect(session.Page.GetByTestId("agents-grid")).ToContainTextAsync("scheduler");
        await Task.Delay(1000);
        // Nine keystrokes, one pause: one query (two if a pause fell between keystrokes), not nine.
        Assert.InRange(AgentQueries(app.Output) - before, 1, 2);
        Assert.Empty(session.Errors);
    }

    private static int AgentQueries(string log) => System.Text.RegularExpressions.Regex.Count(log, @"FROM agents AS a\b");

    [Fact]
    public async Task An_owner_creates_an_agent_and_a_key_copies_the_key_once_and_revokes_it()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await using var owner = await browser.NewSessionAsync();
        await owner.RegisterConfirmAndSignInAsync("Monica", $"monica.{tag}@example.com", "Agents123x");
        await owner.CreateOrganizationAsync($"Raviga {tag}");
        var page = owner.Page;
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);

        await owner.GotoInteractiveAsync("projects");
        await page.OpenDialogAsync("Create the first project");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Helpdesk");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.GetByTestId("project-counts")).ToContainTextAsync("Create the first agent");

        await page.GetByRole(AriaRole.Link, new() { Name = "Agents", Exact = true }).ClickAsync();
        await page.OpenDialogAsync("Create the first agent");
        await page.GetByLabel("Display name").FillAsync("Ticket Triage");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("ticket-triage");
        await page.GetByLabel("Temperature").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.Locator(".tp-field-error")).ToContainTextAsync("Choose a temperature from 0 to 2.");
        await page.GetByLabel("Temperature").FillAsync("0.2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.GetByTestId("agents-grid")).ToContainTextAsync("ticket-triage");

        await page.GetByRole(AriaRole.Link, new() { Name = "API keys", Exact = true }).ClickAsync();
        await page.OpenDialogAsync("New key");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("production");
        await page.GetByLabel("read_project").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var keyField = page.Locator("input#new-api-key");
        await Expect(keyField).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^sk_agent_v1_[0-9a-f]{8}_[0-9a-f]{8}_[0-9A-Za-z]{49}$"));
        var key = await keyField.InputValueAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Copied", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(key, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
        await page.GetByRole(AriaRole.Button, new() { Name = "I have copied the key" }).ClickAsync();

        // Afterwards only the prefix and the last four characters are shown.
        var grid = page.GetByTestId("keys-grid");
        await Expect(grid).ToContainTextAsync($"{key[..29]}_…{key[^4..]}");
        await Expect(page.Locator("body")).Not.ToContainTextAsync(key);

        await page.OpenDialogAsync("Revoke production");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" })).ToBeDisabledAsync();
        await page.GetByLabel("Reason").FillAsync("Demo finished");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(grid.Locator("[data-key-status]")).ToHaveAttributeAsync("data-key-status", "revoked");
        Assert.Equal("revoked: Demo finished", await Sql.ScalarAsync<string>(browser.Database.AdminConnectionString,
            "SELECT status || ': ' || revoke_reason FROM api_keys WHERE prefix = @p", ("p", key[..29])));
        Assert.Empty(owner.Errors);
    }
}
