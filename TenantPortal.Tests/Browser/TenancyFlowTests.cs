using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class TenancyFlowTests(BrowserApp browser)
{
    private const string Password = "Tenancy123x";

    [Fact]
    public async Task Two_people_create_organizations_and_neither_can_reach_the_other()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await using var alice = await browser.NewSessionAsync();
        await using var bob = await browser.NewSessionAsync();
        await alice.RegisterConfirmAndSignInAsync("Alice", $"alice.{tag}@example.com", Password);
        await alice.GotoInteractiveAsync("");
        await Expect(alice.Page.GetByTestId("onboarding")).ToBeVisibleAsync();
        await alice.CreateOrganizationAsync($"Acme {tag}");
        await Expect(alice.Page.Locator(".tp-grid")).ToContainTextAsync("General");

        await bob.RegisterConfirmAndSignInAsync("Bob", $"bob.{tag}@example.com", Password);
        await bob.CreateOrganizationAsync($"Globex {tag}");

        // Not in Alice's switcher...
        await alice.Page.Locator(".tp-switcher-org").ClickAsync();
        var items = alice.Page.Locator(".rz-dropdown-panel:visible li.rz-dropdown-item");
        await Expect(items).ToHaveTextAsync([$"Acme {tag}"]);
        await alice.Page.Keyboard.PressAsync("Escape");

        // ...and not by URL: Globex's workspace is simply not there for her.
        var globexWorkspace = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString,
            "SELECT w.id FROM workspaces w JOIN organizations o ON o.id = w.org_id WHERE o.name = @name", ("name", $"Globex {tag}"));
        await alice.GotoInteractiveAsync($"workspaces/{globexWorkspace}/members");
        await Expect(alice.Page.GetByTestId("workspace-not-found")).ToBeVisibleAsync();
        await Expect(alice.Page.Locator("body")).Not.ToContainTextAsync("Globex");

        Assert.Empty(alice.Errors);
        Assert.Empty(bob.Errors);
    }

    [Fact]
    public async Task Bad_input_and_the_plan_limit_give_messages_and_create_nothing()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await using var carol = await browser.NewSessionAsync();
        await carol.RegisterConfirmAndSignInAsync("Carol", $"carol.{tag}@example.com", Password);
        var page = carol.Page;

        await carol.GotoInteractiveAsync("organizations/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("<b>Robert'); DROP TABLE organizations;--</b>");
        await page.GetByLabel("Address").FillAsync("admin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Expect(page.GetByText("“admin” is reserved; choose another.")).ToBeVisibleAsync();

        await page.GetByLabel("Address").FillAsync("Bad Slug!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Expect(page.Locator(".tp-field-error")).ToContainTextAsync("Use 3–50 lowercase letters");

        await page.GetByLabel("Address").FillAsync($"bobby-{tag}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Workspaces", Exact = true })).ToBeVisibleAsync();
        // Stored and shown verbatim, never executed or rendered as markup.
        await Expect(page.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync("<b>Robert'); DROP TABLE organizations;--</b>");

        await carol.GotoInteractiveAsync("organizations/new");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Second");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The Free plan lets you own 1 organization");
        Assert.Equal(1L, await Sql.ScalarAsync<long>(browser.Database.AdminConnectionString,
            "SELECT count(*) FROM org_members m JOIN users u ON u.id = m.user_id WHERE u.email = @email", ("email", $"carol.{tag}@example.com")));
        Assert.Empty(carol.Errors);
    }

    [Fact]
    public async Task One_person_works_in_two_organizations_in_two_tabs_at_once()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var email = $"dana.{tag}@example.com";
        await using var dana = await browser.NewSessionAsync();
        await dana.RegisterConfirmAndSignInAsync("Dana", email, Password);
        var user = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM users WHERE email = @e", ("e", email));
        await Sql.ExecuteAsync(browser.Database.OwnerConnectionString, "INSERT INTO user_subscriptions (user_id, plan_code) VALUES (@u, 'pro')", ("u", user));
        await Tenants.CreateOrganizationAsync(browser.Database, user, $"north-{tag}", $"North {tag}");
        await Tenants.CreateOrganizationAsync(browser.Database, user, $"south-{tag}", $"South {tag}");

        var north = dana.Page;
        await dana.GotoInteractiveAsync("workspaces");
        await dana.SwitchToAsync($"North {tag}");
        var south = await north.Context.NewPageAsync();
        await south.GotoAsync("workspaces");
        await Expect(south.Locator(".tp-layout")).ToHaveAttributeAsync("data-interactive", "true");
        await Expect(south.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync($"North {tag}"); // restored last-used context
        await south.Locator(".tp-switcher-org").ClickAsync();
        await south.Locator(".rz-dropdown-panel:visible li.rz-dropdown-item").GetByText($"South {tag}", new() { Exact = true }).ClickAsync();
        await Expect(south.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync($"South {tag}");

        // A workspace created in the North tab lands in North, while the South tab keeps working in South.
        await north.OpenDialogAsync("New workspace");
        await north.GetByLabel("Name", new() { Exact = true }).FillAsync("Polar");
        await north.GetByRole(AriaRole.Button, new() { Name = "Create workspace" }).ClickAsync();
        await Expect(north.Locator(".tp-grid")).ToContainTextAsync("Polar");
        await Expect(north.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync($"North {tag}");

        await south.GetByRole(AriaRole.Link, new() { Name = "Workspaces", Exact = true }).ClickAsync();
        await Expect(south.Locator(".tp-grid")).ToContainTextAsync("General");
        await Expect(south.Locator(".tp-grid")).Not.ToContainTextAsync("Polar");
        await Expect(south.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync($"South {tag}");
        Assert.Equal($"North {tag}", await Sql.ScalarAsync<string>(browser.Database.AdminConnectionString,
            "SELECT o.name FROM workspaces w JOIN organizations o ON o.id = w.org_id WHERE w.slug = 'polar' AND o.created_by = @u", ("u", user)));
        Assert.Empty(dana.Errors);
    }

    [Fact]
    public async Task Switching_organization_on_a_projects_page_leads_to_the_new_organizations_projects()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var email = $"fay.{tag}@example.com";
        await using var fay = await browser.NewSessionAsync();
        await fay.RegisterConfirmAndSignInAsync("Fay", email, Password);
        var user = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM users WHERE email = @e", ("e", email));
        await Sql.ExecuteAsync(browser.Database.OwnerConnectionString, "INSERT INTO user_subscriptions (user_id, plan_code) VALUES (@u, 'pro')", ("u", user));
        var east = await Tenants.CreateOrganizationAsync(browser.Database, user, $"east-{tag}", $"East {tag}");
        await Tenants.CreateOrganizationAsync(browser.Database, user, $"west-{tag}", $"West {tag}");
        var general = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @o", ("o", east));
        var project = await Tenants.CreateProjectAsync(browser.Database, user, east, general, "harbour", "Harbour");

        await fay.GotoInteractiveAsync("workspaces");
        await fay.SwitchToAsync($"East {tag}");
        await fay.GotoInteractiveAsync($"projects/{project}/agents");
        await Expect(fay.Page.GetByRole(AriaRole.Heading, new() { Name = "Agents", Level = 1 })).ToBeVisibleAsync();

        await fay.SwitchToAsync($"West {tag}");

        await Expect(fay.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/projects$"));
        await Expect(fay.Page.GetByRole(AriaRole.Heading, new() { Name = "Projects", Level = 1 })).ToBeVisibleAsync();
        await Expect(fay.Page.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync($"West {tag}");
        Assert.Empty(fay.Errors);
    }

    [Fact]
    public async Task A_member_removed_from_an_organization_is_moved_to_another_with_a_notice()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var email = $"erin.{tag}@example.com";
        await using var erin = await browser.NewSessionAsync();
        await erin.RegisterConfirmAndSignInAsync("Erin", email, Password);
        await erin.CreateOrganizationAsync($"Home {tag}");
        var user = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM users WHERE email = @e", ("e", email));
        var owner = await Tenants.CreateUserAsync(browser.Database, $"owner.{tag}@example.com");
        var other = await Tenants.CreateOrganizationAsync(browser.Database, owner, $"guest-{tag}", $"Guest {tag}");
        await Tenants.AddMemberAsync(browser.Database, owner, other, user, "member");

        await erin.GotoInteractiveAsync("workspaces");
        await erin.SwitchToAsync($"Guest {tag}");
        await Expect(erin.Page.GetByText($"Workspaces of Guest {tag}")).ToBeVisibleAsync();

        await using (var connection = await Tenants.OpenAsync(browser.Database, owner, other))
        {
            await Tenants.ExecuteAsync(connection, "DELETE FROM org_members WHERE user_id = @u", ("u", user));
        }

        await erin.Page.GetByRole(AriaRole.Link, new() { Name = "Organization", Exact = true }).ClickAsync();
        await Expect(erin.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync($"You no longer have access to Guest {tag}. You are now in Home {tag}.");
        await Expect(erin.Page.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync($"Home {tag}");
    }
}
