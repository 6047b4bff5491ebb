using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class AgentFlowTests(BrowserApp browser)
{
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
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the first project" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Helpdesk");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.GetByTestId("project-counts")).ToContainTextAsync("Create the first agent");

        await page.GetByRole(AriaRole.Link, new() { Name = "Agents", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create the first agent" }).ClickAsync();
        await page.GetByLabel("Display name").FillAsync("Ticket Triage");
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToHaveValueAsync("ticket-triage");
        await page.GetByLabel("Temperature").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.Locator(".tp-field-error")).ToContainTextAsync("Choose a temperature from 0 to 2.");
        await page.GetByLabel("Temperature").FillAsync("0.2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.GetByTestId("agents-grid")).ToContainTextAsync("ticket-triage");

        await page.GetByRole(AriaRole.Link, new() { Name = "API keys", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "New key" }).ClickAsync();
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

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke production" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" })).ToBeDisabledAsync();
        await page.GetByLabel("Reason").FillAsync("Demo finished");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        await Expect(grid.Locator("[data-key-status]")).ToHaveAttributeAsync("data-key-status", "revoked");
        Assert.Equal("revoked: Demo finished", await Sql.ScalarAsync<string>(browser.Database.AdminConnectionString,
            "SELECT status || ': ' || revoke_reason FROM api_keys WHERE prefix = @p", ("p", key[..29])));
        Assert.Empty(owner.Errors);
    }
}
