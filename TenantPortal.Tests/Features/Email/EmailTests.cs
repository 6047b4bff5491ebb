using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using TenantPortal.Data;
using TenantPortal.Features.Email;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Email;

public sealed class EmailTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Development_mail_lands_in_the_outbox_page_with_its_link()
    {
        await using var factory = PortalAppFactory.For(fixture.Database);
        var sender = factory.Services.GetRequiredService<IEmailSender<PortalUser>>();
        await sender.SendPasswordResetLinkAsync(new PortalUser(), "reader@example.com", "http://localhost/Account/ResetPassword?code=abc&x=<b>");
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync(new Uri("/dev/outbox", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Contains("Reset your TenantPortal password", html, StringComparison.Ordinal);
        Assert.Contains("data-to=\"reader@example.com\"", html, StringComparison.Ordinal);
        // The link is an attribute value, encoded: markup in a mail can never become markup on the page.
        Assert.Contains("href=\"http://localhost/Account/ResetPassword?code=abc&amp;x=&lt;b&gt;\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("x=<b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_outbox_does_not_exist_outside_development()
    {
        await using var factory = PortalAppFactory.For(fixture.Database, "Production");
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/dev/outbox", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(factory.Services.GetService<DevOutbox>());
    }

    [Fact]
    public async Task The_outbox_keeps_the_newest_200_mails_newest_first()
    {
        var outbox = new DevOutbox();
        for (var i = 0; i < 205; i++)
        {
            await outbox.SendAsync(new OutgoingMail($"u{i}@example.com", "s", "t", null, null, DateTimeOffset.UnixEpoch.AddMinutes(i)), TestContext.Current.CancellationToken);
        }

        var mails = outbox.Newest();

        Assert.Equal(200, mails.Count);
        Assert.Equal("u204@example.com", mails[0].To);
        Assert.Equal("u5@example.com", mails[^1].To);
    }

    [Fact]
    public void Mail_bodies_encode_text_and_links()
    {
        var mail = new OutgoingMail("a@example.com", "Subject", "Hello <script>", "Go & see", "https://x.test/?a=1&b=\"2\"", DateTimeOffset.UnixEpoch);

        var html = mail.HtmlBody();

        Assert.Equal("<p>Hello &lt;script&gt;</p><p><a href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\">Go &amp; see</a></p>", html);
    }
}
