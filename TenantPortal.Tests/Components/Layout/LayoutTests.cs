using Microsoft.AspNetCore.Components;
using TenantPortal.Components.Layout;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Components.Layout;

public sealed class LayoutTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Main_layout_has_a_top_bar_with_room_for_the_switcher_a_navigation_and_the_page_body()
    {
        await using var renderer = new ComponentRenderer();
        RenderFragment body = b => b.AddMarkupContent(0, "<p id=\"page-body\">page content</p>");

        var page = await renderer.RenderAsync<MainLayout>(new() { [nameof(LayoutComponentBase.Body)] = body });

        var header = page.QuerySelector(".rz-header");
        Assert.NotNull(header);
        Assert.NotNull(header.QuerySelector("[data-testid=context-slot]"));
        Assert.NotNull(header.QuerySelector("button.tp-theme-toggle"));
        Assert.NotNull(header.QuerySelector("button[aria-label='Toggle navigation']"));
        Assert.NotNull(page.QuerySelector(".rz-sidebar nav[aria-label='Main navigation']"));
        Assert.Equal("page content", page.QuerySelector(".rz-body main #page-body")?.TextContent);
    }

    [Fact]
    public async Task Anonymous_visitors_get_sign_in_and_register_links_and_no_account_navigation()
    {
        await using var renderer = new ComponentRenderer();

        var menu = await renderer.RenderAsync<UserMenu>();
        var nav = await renderer.RenderAsync<NavMenu>();

        Assert.Equal(["Account/Login", "Account/Register"], menu.QuerySelectorAll("a").Select(a => a.GetAttribute("href")));
        Assert.Null(menu.QuerySelector("form"));
        Assert.DoesNotContain("Account/Manage", NavLinks(nav));
        Assert.Contains("", NavLinks(nav));
    }

    [Fact]
    public async Task Signed_in_users_see_their_name_a_sign_out_form_and_account_settings()
    {
        await using var renderer = new ComponentRenderer(ComponentRenderer.SignedIn("ada@example.com"));

        var menu = await renderer.RenderAsync<UserMenu>();
        var nav = await renderer.RenderAsync<NavMenu>();

        Assert.Equal("ada@example.com", menu.QuerySelector(".tp-user-name")?.TextContent);
        var form = menu.QuerySelector("form");
        Assert.NotNull(form);
        Assert.Equal("Account/Logout", form.GetAttribute("action"));
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.NotNull(form.QuerySelector("input[name=__RequestVerificationToken]"));
        Assert.Contains("Account/Manage", NavLinks(nav));
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    public async Task The_outbox_link_exists_only_in_development(string environment, bool shown)
    {
        await using var renderer = new ComponentRenderer(environment: environment);

        var nav = await renderer.RenderAsync<NavMenu>();

        Assert.Equal(shown, NavLinks(nav).Contains("dev/outbox"));
    }

    [Fact]
    public async Task The_theme_toggle_shows_the_signed_in_users_saved_theme()
    {
        var id = Guid.NewGuid();
        await Sql.ExecuteAsync(fixture.Database.AppConnectionString, """
            INSERT INTO users (id, user_name, email, email_confirmed, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count, theme)
            VALUES (@id, 'dark@example.com', 'dark@example.com', true, false, false, true, 0, 'dark')
            """, ("id", id));
        await using var dark = new ComponentRenderer(ComponentRenderer.SignedIn("dark@example.com", id), database: fixture.Database);
        await using var anonymous = new ComponentRenderer(database: fixture.Database);

        var darkToggle = (await dark.RenderAsync<ThemeToggle>()).QuerySelector("button");
        var lightToggle = (await anonymous.RenderAsync<ThemeToggle>()).QuerySelector("button");

        Assert.Equal("dark", darkToggle?.GetAttribute("data-theme"));
        Assert.Equal("Switch to light theme", darkToggle?.GetAttribute("aria-label"));
        Assert.Equal("light", lightToggle?.GetAttribute("data-theme"));
    }

    [Fact]
    public async Task A_member_of_an_organization_gets_the_switcher_and_the_organization_navigation()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var email = await Sql.ScalarAsync<string>(fixture.Database.AppConnectionString, "SELECT email FROM users WHERE id = @id", ("id", world.OwnerA));
        await using var renderer = new ComponentRenderer(ComponentRenderer.SignedIn(email!, world.OwnerA), database: fixture.Database);
        RenderFragment body = b => b.AddContent(0, "body");

        var page = await renderer.RenderAsync<MainLayout>(new() { [nameof(LayoutComponentBase.Body)] = body });

        var switcher = page.QuerySelector("[data-testid=org-switcher]");
        Assert.NotNull(switcher);
        Assert.Contains("Acme", switcher.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("Globex", page.Body!.TextContent, StringComparison.Ordinal);
        Assert.Contains("workspaces", NavLinks(page));
        Assert.Contains("organization", NavLinks(page));
    }

    [Fact]
    public async Task A_signed_in_user_without_an_organization_gets_no_switcher_and_no_organization_navigation()
    {
        var user = await Tenants.CreateUserAsync(fixture.Database, $"{Guid.NewGuid():N}@example.com");
        await using var renderer = new ComponentRenderer(ComponentRenderer.SignedIn("loner@example.com", user), database: fixture.Database);
        RenderFragment body = b => b.AddContent(0, "body");

        var page = await renderer.RenderAsync<MainLayout>(new() { [nameof(LayoutComponentBase.Body)] = body });

        Assert.Null(page.QuerySelector("[data-testid=org-switcher]"));
        Assert.DoesNotContain("workspaces", NavLinks(page));
        Assert.Contains("organizations/new", NavLinks(page));
    }

    private static List<string> NavLinks(AngleSharp.Html.Dom.IHtmlDocument nav) =>
        nav.QuerySelectorAll("nav a").Select(a => a.GetAttribute("href") ?? "").ToList();
}
