using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>One page in its own browser context, recording console errors and uncaught exceptions.</summary>
public sealed partial class BrowserSession : IAsyncDisposable
{
    private readonly IBrowserContext context;
    private readonly List<string> errors = [];

    private BrowserSession(IBrowserContext context, IPage page)
    {
        this.context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add($"console: {message.Text} ({message.Location})");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add($"page error: {error}");
            }
        };
    }

    public IPage Page { get; }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (errors)
            {
                return [.. errors];
            }
        }
    }

    public static async Task<BrowserSession> OpenAsync(IBrowserContext context) => new(context, await context.NewPageAsync());

    /// <summary>Opens a page of the interactive app and waits until its circuit has rendered it.</summary>
    public async Task GotoInteractiveAsync(string path)
    {
        await Page.GotoAsync(path);
        await Assertions.Expect(Page.Locator(".tp-layout")).ToHaveAttributeAsync("data-interactive", "true");
    }

    /// <summary>Registers through the UI, confirms through the development outbox and signs in.</summary>
    public async Task RegisterConfirmAndSignInAsync(string name, string email, string password)
    {
        await Page.GotoAsync("Account/Register");
        await Page.GetByLabel("Your name").FillAsync(name);
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await Page.GetByLabel("Confirm password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();

        await Page.GotoAsync("dev/outbox");
        await Page.Locator($".tp-outbox-mail[data-to='{email}']").GetByRole(AriaRole.Link, new() { Name = "Confirm your account" }).First.ClickAsync();
        await Assertions.Expect(Page.GetByText("Thank you for confirming your email")).ToBeVisibleAsync();

        await SignInAsync(email, password);
    }

    public async Task SignInAsync(string email, string password)
    {
        await Page.GotoAsync("Account/Login");
        await Page.GetByLabel("Email").FillAsync(email);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { NameRegex = WelcomePattern() })).ToBeVisibleAsync();
    }

    /// <summary>Picks an organization (or workspace) in the top-bar switcher and waits for the switch to show.</summary>
    public async Task SwitchToAsync(string name, string which = "org")
    {
        await Page.Locator($".tp-switcher-{which}").ClickAsync();
        await Page.Locator(".rz-dropdown-panel:visible li.rz-dropdown-item").GetByText(name, new() { Exact = true }).ClickAsync();
        await Assertions.Expect(Page.Locator($".tp-switcher-{which} .rz-dropdown-label")).ToHaveTextAsync(name);
    }

    /// <summary>Creates an organization through the onboarding form.</summary>
    public async Task CreateOrganizationAsync(string name)
    {
        await GotoInteractiveAsync("organizations/new");
        await Page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Workspaces", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(Page.Locator(".tp-switcher-org .rz-dropdown-label")).ToHaveTextAsync(name);
    }

    public async ValueTask DisposeAsync() => await context.DisposeAsync();

    [GeneratedRegex("^Welcome, ")]
    private static partial Regex WelcomePattern();
}

/// <summary>Opening the portal's dialogs the way a person does: click, then wait for the dialog to take focus.</summary>
public static class DialogOpening
{
    /// <summary>
    /// Clicks the button that opens a dialog and waits until the dialog has focused its first field, which Radzen does
    /// half a second after opening; typing before that can land in another field when the focus moves.
    /// </summary>
    public static async Task OpenDialogAsync(this IPage page, string button)
    {
        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
        await Assertions.Expect(page.Locator(".rz-dialog-content :focus")).ToHaveCountAsync(1);
    }
}
