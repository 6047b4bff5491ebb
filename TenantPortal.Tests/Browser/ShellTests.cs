using Microsoft.Playwright;
using TenantPortal.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace TenantPortal.Tests.Browser;

[Collection(BrowserTests.Name)]
public sealed class ShellTests(BrowserApp browser)
{
    [Fact]
    public async Task The_framework_script_is_served_and_a_click_re_renders_over_the_circuit()
    {
        await using var session = await browser.NewSessionAsync();
        var script = await session.Page.APIRequest.GetAsync("_framework/blazor.web.js");
        Assert.Equal(200, script.Status);

        await session.GotoInteractiveAsync("");
        var toggle = session.Page.Locator("button.tp-theme-toggle");
        await Expect(toggle).ToHaveAttributeAsync("data-theme", "light");

        await toggle.ClickAsync();

        await Expect(toggle).ToHaveAttributeAsync("data-theme", "dark");
        await Expect(toggle).ToHaveAttributeAsync("aria-label", "Switch to light theme");
        await Expect(session.Page.Locator("link#radzen-theme-link")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("material-dark"));
        Assert.Empty(session.Errors);
    }

    [Theory]
    [InlineData(375, 740)]
    [InlineData(1440, 900)]
    public async Task The_shell_fits_the_viewport_without_horizontal_scrolling(int width, int height)
    {
        await using var session = await browser.NewSessionAsync(width, height);
        await session.GotoInteractiveAsync("");

        var overflow = await session.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than a {width}px viewport");
        await Expect(session.Page.Locator("button.tp-theme-toggle")).ToBeInViewportAsync();
        await Expect(session.Page.Locator(".rz-header").GetByRole(AriaRole.Link, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await Expect(session.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeInViewportAsync();

        var homeLink = session.Page.Locator("nav[aria-label='Main navigation']").GetByRole(AriaRole.Link, new() { Name = "Home", Exact = true });
        if (width >= 1024)
        {
            await Expect(homeLink).ToBeVisibleAsync();
        }
        else
        {
            // On a phone the navigation starts closed and the toggle opens it.
            await session.Page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" }).ClickAsync();
            await Expect(homeLink).ToBeInViewportAsync();
        }

        Assert.Empty(session.Errors);
    }
}
