using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class TeamFlowTests(BrowserApp browser)
{
    private const string Password = "Teamwork123x";

    [Fact]
    public async Task An_owner_invites_by_email_and_the_invitee_joins_through_the_mailed_link()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var org = $"Initech {tag}";
        await using var dana = await browser.NewSessionAsync();
        await dana.RegisterConfirmAndSignInAsync("Dana", $"dana.{tag}@example.com", Password);
        await dana.CreateOrganizationAsync(org);

        await dana.GotoInteractiveAsync("members");
        await dana.Page.OpenDialogAsync("Invite people");
        await dana.Page.GetByLabel("Email address").FillAsync($"Erin.{tag}@Example.com");
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        var link = dana.Page.Locator("#invitation-link");
        await Expect(link).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/invite/[A-Za-z0-9_-]{43}$"));
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(dana.Page.GetByTestId("invitations-grid")).ToContainTextAsync($"erin.{tag}@example.com");

        await using var erin = await browser.NewSessionAsync();
        await erin.RegisterConfirmAndSignInAsync("Erin", $"erin.{tag}@example.com", Password);
        await erin.Page.GotoAsync("dev/outbox");
        await erin.Page.Locator($".tp-outbox-mail[data-to='erin.{tag}@example.com']").GetByRole(AriaRole.Link, new() { Name = $"Join {org}" }).ClickAsync();
        await Expect(erin.Page.GetByRole(AriaRole.Heading, new() { Name = $"Join {org}" })).ToBeVisibleAsync();
        await Expect(erin.Page.Locator(".tp-layout")).ToHaveAttributeAsync("data-interactive", "true");
        var invitationUrl = erin.Page.Url;
        await erin.Page.GetByRole(AriaRole.Button, new() { Name = $"Join {org}" }).ClickAsync();
        await Expect(erin.Page.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync(org);

        // The link worked once.
        await erin.GotoInteractiveAsync(invitationUrl);
        await Expect(erin.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("already been used");
        await dana.GotoInteractiveAsync("members");
        await Expect(dana.Page.GetByTestId("members-grid")).ToContainTextAsync($"erin.{tag}@example.com");
        await Expect(dana.Page.GetByTestId("no-invitations")).ToBeVisibleAsync();

        // Dana runs her team from the members page: a new role, a suspension and its end, then removal.
        var erinEmail = $"erin.{tag}@example.com";
        Task<string?> MembershipAsync() => Sql.ScalarAsync<string>(browser.Database.AdminConnectionString,
            "SELECT m.role || '/' || m.status FROM org_members m JOIN users u ON u.id = m.user_id WHERE u.email = @e", ("e", erinEmail));
        await dana.Page.GetByLabel($"Role of {erinEmail}").SelectOptionAsync("admin");
        await Expect(dana.Page.Locator(".rz-notification")).ToContainTextAsync($"{erinEmail} is now admin.");
        Assert.Equal("admin/active", await MembershipAsync());
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = $"Suspend {erinEmail}" }).ClickAsync();
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = "Suspend", Exact = true }).ClickAsync();
        await Expect(dana.Page.GetByRole(AriaRole.Button, new() { Name = $"Reactivate {erinEmail}" })).ToBeVisibleAsync();
        Assert.Equal("admin/suspended", await MembershipAsync());
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = $"Reactivate {erinEmail}" }).ClickAsync();
        await Expect(dana.Page.GetByRole(AriaRole.Button, new() { Name = $"Suspend {erinEmail}" })).ToBeVisibleAsync();
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {erinEmail}" }).ClickAsync();
        await dana.Page.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
        await Expect(dana.Page.GetByTestId("members-grid")).Not.ToContainTextAsync(erinEmail);
        Assert.Null(await MembershipAsync());

        Assert.Empty(dana.Errors);
        Assert.Empty(erin.Errors);
    }

    [Fact]
    public async Task The_wrong_person_cannot_accept_and_a_revoked_link_stops_working()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var org = $"Hooli {tag}";
        await using var gavin = await browser.NewSessionAsync();
        await gavin.RegisterConfirmAndSignInAsync("Gavin", $"gavin.{tag}@example.com", Password);
        await gavin.CreateOrganizationAsync(org);
        await gavin.GotoInteractiveAsync("members");
        await gavin.Page.OpenDialogAsync("Invite people");
        await gavin.Page.GetByLabel("Email address").FillAsync($"richard.{tag}@example.com");
        await gavin.Page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("viewer");
        await gavin.Page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        var url = await gavin.Page.Locator("#invitation-link").InputValueAsync();
        await gavin.Page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();

        await using var jared = await browser.NewSessionAsync();
        await jared.RegisterConfirmAndSignInAsync("Jared", $"jared.{tag}@example.com", Password);
        await jared.GotoInteractiveAsync(url);
        await Expect(jared.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("sent to another email address");
        await Expect(jared.Page.GetByRole(AriaRole.Button, new() { Name = $"Join {org}" })).ToHaveCountAsync(0);

        await gavin.Page.GetByRole(AriaRole.Button, new() { Name = $"Revoke the invitation to richard.{tag}@example.com" }).ClickAsync();
        await gavin.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(gavin.Page.GetByTestId("no-invitations")).ToBeVisibleAsync();

        await jared.GotoInteractiveAsync(url);
        await Expect(jared.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("This invitation was revoked.");
        Assert.Equal(0L, await Sql.ScalarAsync<long>(browser.Database.AdminConnectionString,
            "SELECT count(*) FROM org_members m JOIN users u ON u.id = m.user_id WHERE u.email = @e", ("e", $"jared.{tag}@example.com")));
        Assert.Empty(gavin.Errors);
        Assert.Empty(jared.Errors);
    }

    [Fact]
    public async Task A_signed_out_invitee_signs_in_from_the_invitation_and_comes_back_to_accept_it()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var org = $"Vandelay {tag}";
        await using var art = await browser.NewSessionAsync();
        await art.RegisterConfirmAndSignInAsync("Art", $"art.{tag}@example.com", Password);
        await art.CreateOrganizationAsync(org);
        await art.GotoInteractiveAsync("members");
        await art.Page.OpenDialogAsync("Invite people");
        await art.Page.GetByLabel("Email address").FillAsync($"kel.{tag}@example.com");
        await art.Page.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        var url = await art.Page.Locator("#invitation-link").InputValueAsync();

        await using var kel = await browser.NewSessionAsync();
        await kel.RegisterConfirmAndSignInAsync("Kel", $"kel.{tag}@example.com", Password);
        await kel.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await kel.GotoInteractiveAsync(url);
        await kel.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in to accept" }).ClickAsync();
        await kel.Page.GetByLabel("Email").FillAsync($"kel.{tag}@example.com");
        await kel.Page.GetByLabel("Password").FillAsync(Password);
        await kel.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // Back on the invitation, signed in.
        await Expect(kel.Page.GetByRole(AriaRole.Heading, new() { Name = $"Join {org}" })).ToBeVisibleAsync();
        await Expect(kel.Page.Locator(".tp-layout")).ToHaveAttributeAsync("data-interactive", "true");
        await kel.Page.GetByRole(AriaRole.Button, new() { Name = $"Join {org}" }).ClickAsync();
        await Expect(kel.Page.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync(org);
        Assert.Empty(art.Errors);
        Assert.Empty(kel.Errors);
    }

    [Fact]
    public async Task An_owner_creates_finds_archives_and_deletes_a_project()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await using var owner = await browser.NewSessionAsync();
        await owner.RegisterConfirmAndSignInAsync("Peter", $"peter.{tag}@example.com", Password);
        await owner.CreateOrganizationAsync($"Pied Piper {tag}");
        var page = owner.Page;

        await owner.GotoInteractiveAsync("projects");
        await Expect(page.GetByTestId("no-projects")).ToBeVisibleAsync();
        await page.OpenDialogAsync("Create the first project");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Support Bot");
        await Expect(page.GetByLabel("Address")).ToHaveValueAsync("support_bot");
        await page.GetByLabel("Address").FillAsync("Support-Bot");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.Locator(".tp-field-error")).ToContainTextAsync("Use 3–50 lowercase letters, digits or underscores");
        await page.GetByLabel("Address").FillAsync("support_bot");
        await page.GetByLabel("Tags (optional)").FillAsync("Support, email");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Support Bot" })).ToBeVisibleAsync();
        await Expect(page.Locator(".tp-facts")).ToContainTextAsync("support_bot");

        await owner.GotoInteractiveAsync("projects");
        var grid = page.Locator(".tp-grid");
        await Expect(grid).ToContainTextAsync("Support Bot");
        await page.GetByLabel("Search").FillAsync("nothing like it");
        await Expect(grid).ToContainTextAsync("No projects match these filters.");
        await page.GetByLabel("Search").FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "email", Exact = true }).ClickAsync();
        await Expect(page.GetByLabel("Tag")).ToHaveValueAsync("email");
        await Expect(grid).ToContainTextAsync("Support Bot");

        await page.GetByRole(AriaRole.Link, new() { Name = "Support Bot" }).ClickAsync();
        await page.GetByLabel("Status").SelectOptionAsync("archived");
        await page.GetByRole(AriaRole.Button, new() { Name = "Archived", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-status]")).ToHaveAttributeAsync("data-status", "archived");

        await owner.GotoInteractiveAsync("projects");
        await Expect(page.GetByTestId("no-projects")).ToBeVisibleAsync();
        await owner.GotoInteractiveAsync("organization");
        await Expect(page.GetByTestId("meter-projects")).ToContainTextAsync("1 of 3");

        await owner.GotoInteractiveAsync("projects");
        await page.GetByLabel("Status").SelectOptionAsync("archived");
        await page.GetByRole(AriaRole.Link, new() { Name = "Support Bot" }).ClickAsync();
        await page.OpenDialogAsync("Delete project…");
        await page.GetByLabel("Type support_bot to confirm").FillAsync("support_bot");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete forever" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Projects", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(0L, await Sql.ScalarAsync<long>(browser.Database.AdminConnectionString,
            "SELECT count(*) FROM projects p JOIN organizations o ON o.id = p.org_id WHERE o.name = @n", ("n", $"Pied Piper {tag}")));
        Assert.Empty(owner.Errors);
    }
}
