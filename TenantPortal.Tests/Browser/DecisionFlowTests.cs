using System.Net.Http.Headers;
using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class DecisionFlowTests(BrowserApp browser)
{
    private static readonly string[] DeployOrWait = ["deploy", "wait"];

    [Fact]
    public async Task An_agent_waits_on_one_instance_while_the_owner_approves_in_the_browser_on_another_and_the_log_shows_both()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var email = $"laurie.{tag}@example.com";
        // The person works on a second instance of the app; the agent waits on the first.
        await using var second = await AppProcess.StartHealthyAsync(browser.Database);
        await using var owner = await browser.NewSessionAsync(app: second);
        var (_, project, key) = await OwnerWithAgentAsync(owner, "Laurie", email, $"bream-{tag}", "releases", "deployer", "ci", "communicate", "manage_decisions");
        using var client = new HttpClient { BaseAddress = browser.App.BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var ct = TestContext.Current.CancellationToken;

        // The agent proposes and waits.
        var proposal = await Api.BodyAsync(await client.PostAsync("api/v1/decisions",
            Api.Json(new { title = "Deploy 2.4 to production?", description = "All checks passed.", options = DeployOrWait, payload = new { version = "2.4.0" } }), ct));
        var id = proposal.GetProperty("id").GetGuid();
        var wait = client.GetAsync($"api/v1/decisions/{id}?waitSeconds=60", ct);

        // The owner decides in the browser.
        var page = owner.Page;
        await owner.GotoInteractiveAsync($"projects/{project}/decisions");
        var card = page.GetByTestId("decision");
        await Expect(card).ToContainTextAsync("Deploy 2.4 to production?");
        await Expect(card).ToContainTextAsync("deployer (key ci)");
        Assert.False(wait.IsCompleted);
        await page.OpenDialogAsync("Approve Deploy 2.4 to production?");
        await page.GetByLabel("deploy", new() { Exact = true }).CheckAsync();
        await page.GetByLabel("Rationale (optional)").FillAsync("Canary is clean.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("decision-outcome")).ToContainTextAsync("Approved: deploy by Laurie");

        // The agent's wait returns the outcome.
        var answered = await Api.BodyAsync(await wait);
        Assert.Equal(("approved", "deploy", "Canary is clean."),
            (answered.GetProperty("status").GetString(), answered.GetProperty("chosenOption").GetString(), answered.GetProperty("rationale").GetString()));

        // The log names the agent with its key for the proposal and the person for the approval.
        await owner.GotoInteractiveAsync("audit");
        var grid = page.GetByTestId("audit-grid");
        await Expect(grid.Locator("tr", new() { HasText = "decision_propose" })).ToContainTextAsync("deployer · key ci");
        await Expect(grid.Locator("tr", new() { HasText = "decision_approve" })).ToContainTextAsync("Laurie");
        Assert.Empty(owner.Errors);
    }

    [Fact]
    public async Task A_rejection_asks_for_its_reason_at_the_field_then_focus_lands_on_the_outcome_and_an_emptied_limit_is_refused()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var email = $"rhea.{tag}@example.com";
        await using var owner = await browser.NewSessionAsync();
        var (org, project, key) = await OwnerWithAgentAsync(owner, "Rhea", email, $"roach-{tag}", "ops", "janitor", "nightly", "manage_decisions");
        await Tenants.ProposeDecisionAsync(browser.Database, key, "Drop the old logs?", "drop", "keep");
        var page = owner.Page;

        await owner.GotoInteractiveAsync($"projects/{project}/decisions");
        await page.OpenDialogAsync("Reject Drop the old logs?");
        var reason = page.GetByLabel("Reason (required)");
        await Expect(reason).ToHaveAttributeAsync("aria-required", "true");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true }).ClickAsync(); // not disabled: it says what is missing
        await Expect(page.GetByText("Give a reason: the agent reads why its proposal was rejected.")).ToBeVisibleAsync();
        await Expect(reason).ToHaveAttributeAsync("aria-invalid", "true");
        await reason.FillAsync("We audit them first.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reject", Exact = true }).ClickAsync();
        var outcome = page.GetByTestId("decision-outcome");
        await Expect(outcome).ToContainTextAsync("Rejected by Rhea");
        await Expect(outcome).ToBeFocusedAsync(); // the buttons that had focus are gone

        // The key's request limit: an emptied field is an error tied to it, and nothing is saved.
        await owner.GotoInteractiveAsync($"projects/{project}/keys");
        await page.OpenDialogAsync("Change the request limit of nightly");
        var limit = page.GetByLabel("Requests per minute");
        await limit.FillAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save limit" }).ClickAsync();
        await Expect(page.Locator("#rate-limit-error")).ToHaveTextAsync("Enter how many requests a minute this key may make.");
        await Expect(limit).ToHaveAttributeAsync("aria-describedby", "rate-limit-hint rate-limit-error");
        Assert.Equal(600, await Sql.ScalarAsync<int>(browser.Database.AdminConnectionString,
            "SELECT rate_limit_per_minute FROM api_keys WHERE org_id = @o", ("o", org)));
        // Positive control: a valid limit is saved.
        await limit.FillAsync("1200");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save limit" }).ClickAsync();
        await Eventually.EqualAsync(1200, () => Sql.ScalarAsync<int>(browser.Database.AdminConnectionString,
            "SELECT rate_limit_per_minute FROM api_keys WHERE org_id = @o", ("o", org)));
        Assert.Empty(owner.Errors);
    }

    /// <summary>Signs a new person up in the browser, then gives them an organization with a project, an active agent and its key.</summary>
    private async Task<(Guid Org, Guid Project, string Key)> OwnerWithAgentAsync(BrowserSession owner, string name, string email, string orgSlug,
        string projectSlug, string agentName, string keyName, params string[] capabilities)
    {
        await owner.RegisterConfirmAndSignInAsync(name, email, "Decide123x");
        var user = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM users WHERE email = @e", ("e", email));
        var org = await Tenants.CreateOrganizationAsync(browser.Database, user, orgSlug, orgSlug);
        var workspace = await Sql.ScalarAsync<Guid>(browser.Database.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @o", ("o", org));
        var project = await Tenants.CreateProjectAsync(browser.Database, user, org, workspace, projectSlug, projectSlug);
        var agent = await Tenants.CreateAgentAsync(browser.Database, user, org, project, agentName);
        return (org, project, await Tenants.CreateApiKeyAsync(browser.Database, user, org, agent, keyName, capabilities));
    }

    [Fact]
    public async Task The_api_reference_page_renders_the_agent_apis_endpoints_from_the_apps_own_document()
    {
        await using var session = await browser.NewSessionAsync();
        var page = session.Page;
        var documentRequested = page.WaitForResponseAsync(r => r.Url.EndsWith("/openapi/v1.json", StringComparison.Ordinal) && r.Status == 200);

        await page.GotoAsync("api/reference/v1");

        await documentRequested;
        await Expect(page.GetByText("TenantPortal agent API").First).ToBeVisibleAsync();
        await Expect(page.GetByText("The agent, project, organization and key behind the request's key.").First).ToBeVisibleAsync();
        foreach (var group in new[] { "Agent", "Messages", "Decisions" })
        {
            await Expect(page.GetByText(group, new() { Exact = true }).First).ToBeVisibleAsync();
        }
    }
}
