using TenantPortal.Features.Members;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Members;

public sealed class AcceptInvitationPageTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private async Task<(string Email, string Token)> InviteAsync()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var email = $"guest-{Guid.NewGuid():N}@example.com";
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var (_, link) = await owner.Invitations.InviteAsync(email, OrgRole.Viewer, [], "http://localhost/");
        return (email, link!.Url[(link.Url.LastIndexOf('/') + 1)..]);
    }

    private async Task<AngleSharp.Html.Dom.IHtmlDocument> RenderAsync(string token, System.Security.Claims.ClaimsPrincipal? user = null)
    {
        await using var renderer = new ComponentRenderer(user, database: fixture.Database);
        return await renderer.RenderAsync<AcceptInvitationPage>(new() { [nameof(AcceptInvitationPage.Token)] = token });
    }

    [Fact]
    public async Task A_signed_out_visitor_is_offered_sign_in_and_sign_up_that_come_back_here()
    {
        var (email, token) = await InviteAsync();

        var html = await RenderAsync(token);

        Assert.Equal("Join Acme", html.QuerySelector("h1")?.TextContent.Trim());
        Assert.Contains(email, html.Body!.TextContent, StringComparison.Ordinal);
        var links = html.QuerySelectorAll("[data-testid=invitation] a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal([$"Account/Login?ReturnUrl=invite%2F{token}", $"Account/Register?ReturnUrl=invite%2F{token}"], links);
    }

    [Fact]
    public async Task The_invitee_gets_the_join_button_and_anyone_else_a_warning_without_it()
    {
        var (email, token) = await InviteAsync();

        var invitee = await RenderAsync(token, ComponentRenderer.SignedIn(email.ToUpperInvariant()));
        var stranger = await RenderAsync(token, ComponentRenderer.SignedIn("someone.else@example.com"));

        Assert.Contains(invitee.QuerySelectorAll("button"), b => b.TextContent.Contains("Join Acme", StringComparison.Ordinal));
        Assert.DoesNotContain(stranger.QuerySelectorAll("button"), b => b.TextContent.Contains("Join", StringComparison.Ordinal));
        Assert.Contains("sent to another email address", stranger.QuerySelector("[role=alert]")?.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_and_expired_links_say_so()
    {
        var (email, token) = await InviteAsync();
        await Sql.ExecuteAsync(fixture.Database.AdminConnectionString, "UPDATE org_invitations SET expires_at = now() - interval '1 minute' WHERE email = @e", ("e", email));

        var expired = await RenderAsync(token, ComponentRenderer.SignedIn(email));
        var unknown = await RenderAsync("garbage");

        Assert.Contains("This invitation has expired", expired.QuerySelector("[role=alert]")?.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(expired.QuerySelectorAll("button"), b => b.TextContent.Contains("Join", StringComparison.Ordinal));
        Assert.Equal("Invitation not found", unknown.QuerySelector("h1")?.TextContent.Trim());
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
