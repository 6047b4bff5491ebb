using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class AccountFlowTests(BrowserApp browser)
{
    [Fact]
    public async Task Register_confirm_through_the_outbox_sign_in_and_sign_out()
    {
        await using var session = await browser.NewSessionAsync();
        var page = session.Page;
        var email = $"ada.{Guid.NewGuid():N}@example.com";
        const string password = "Analytical1";

        await page.GotoAsync("Account/Register");
        await page.GetByLabel("Your name").FillAsync("Ada Lovelace");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByLabel("Confirm password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();
        await Expect(page.GetByText(email)).ToBeVisibleAsync();

        // Not confirmed yet: signing in is refused with a message that says what to do.
        await page.GotoAsync("Account/Login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Confirm your email address");

        await page.GotoAsync("dev/outbox");
        var mail = page.Locator($".tp-outbox-mail[data-to='{email}']");
        await Expect(mail).ToContainTextAsync("Confirm your TenantPortal account");
        await mail.GetByRole(AriaRole.Link, new() { Name = "Confirm your account" }).ClickAsync();
        await Expect(page.GetByText("Thank you for confirming your email")).ToBeVisibleAsync();

        await session.SignInAsync(email, password);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome, Ada Lovelace" })).ToBeVisibleAsync();
        await Expect(page.Locator(".tp-layout")).ToHaveAttributeAsync("data-interactive", "true");
        await Expect(page.Locator(".tp-user-name")).ToHaveTextAsync(email);

        // Both attempts are on the record, and the person sees them in their account settings.
        await page.GotoAsync("Account/Manage");
        var history = page.GetByTestId("sign-in-history");
        await Expect(history.Locator("li").First).ToContainTextAsync("Signed in");
        await Expect(history).ToContainTextAsync("Failed sign-in");
        await page.GotoAsync("");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.Locator(".rz-header").GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(page.Locator(".tp-user-name")).ToHaveCountAsync(0);
        Assert.Equal(["login_failed", "login", "logout"], await Sql.ColumnAsync(browser.Database.AdminConnectionString, $"""
            SELECT e.action FROM audit_events e JOIN users u ON u.id = e.actor_id
            WHERE e.org_id IS NULL AND u.email = '{email}' ORDER BY e.seq
            """));

        // Signed out for real: an account page sends the visitor to sign in.
        await page.GotoAsync("Account/Manage");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task Forgot_password_mails_a_link_that_sets_a_new_password()
    {
        await using var session = await browser.NewSessionAsync();
        var page = session.Page;
        var email = $"grace.{Guid.NewGuid():N}@example.com";
        await session.RegisterConfirmAndSignInAsync("Grace Hopper", email, "Compiler1a");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await page.GotoAsync("Account/ForgotPassword");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reset link" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your email" })).ToBeVisibleAsync();

        await page.GotoAsync("dev/outbox");
        await page.Locator($".tp-outbox-mail[data-to='{email}']").GetByRole(AriaRole.Link, new() { Name = "Reset your password" }).ClickAsync();
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("Nanosecond2b");
        await page.GetByLabel("Confirm new password").FillAsync("Nanosecond2b");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset password" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Password reset" })).ToBeVisibleAsync();

        await session.SignInAsync(email, "Nanosecond2b");
        Assert.Empty(session.Errors);
    }

    [Fact]
    public async Task Invalid_registration_shows_field_errors_and_creates_nothing()
    {
        await using var session = await browser.NewSessionAsync();
        var page = session.Page;
        var before = await Sql.ScalarAsync<long>(browser.Database.AppConnectionString, "SELECT count(*) FROM users");

        await page.GotoAsync("Account/Register");
        await page.GetByLabel("Email").FillAsync("not-an-email");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("short");
        await page.GetByLabel("Confirm password").FillAsync("different");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();

        await Expect(page.GetByText("Enter your name.")).ToBeVisibleAsync();
        await Expect(page.GetByText("Enter an email address like you@example.com.")).ToBeVisibleAsync();
        await Expect(page.GetByText("Use 8 to 100 characters for your password.")).ToBeVisibleAsync();
        await Expect(page.GetByText("The two passwords differ")).ToBeVisibleAsync();
        Assert.Equal(before, await Sql.ScalarAsync<long>(browser.Database.AppConnectionString, "SELECT count(*) FROM users"));
    }

    [Fact]
    public async Task The_theme_choice_follows_the_user_to_a_new_browser()
    {
        var email = $"linus.{Guid.NewGuid():N}@example.com";
        const string password = "Kernel123x";
        await using (var first = await browser.NewSessionAsync())
        {
            await first.RegisterConfirmAndSignInAsync("Linus", email, password);
            await Expect(first.Page.Locator(".tp-layout")).ToHaveAttributeAsync("data-interactive", "true");
            await first.Page.Locator("button.tp-theme-toggle").ClickAsync();
            await Expect(first.Page.Locator("button.tp-theme-toggle")).ToHaveAttributeAsync("data-theme", "dark");
            await Eventually.EqualAsync("dark", () => Sql.ScalarAsync<string>(browser.Database.AppConnectionString,
                "SELECT theme FROM users WHERE email = @email", ("email", email)));
        }

        await using var second = await browser.NewSessionAsync();
        await second.SignInAsync(email, password);
        await Expect(second.Page.Locator("link#radzen-theme-link")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("material-dark"));
        await Expect(second.Page.Locator("button.tp-theme-toggle")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Empty(second.Errors);
    }
}
