using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AuditLog;

/// <summary>The export endpoint over HTTP, signed in through a test scheme that reads the user id from a header.</summary>
public sealed class AuditExportEndpointTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task An_owner_gets_the_filtered_log_with_its_row_count_and_the_export_is_recorded()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        using var client = ClientFor(world.OwnerA, out var factory);
        await using var _ = factory;

        using var response = await client.GetAsync(new Uri($"/audit/export?org={world.OrgA}&format=csv&actions=workspace_create", UriKind.Relative), TestContext.Current.CancellationToken);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("2", Assert.Single(response.Headers.GetValues("X-Audit-Rows")));
        Assert.Equal(3, lines.Length); // header + the two workspaces of the scenario
        Assert.All(lines.Skip(1), line => Assert.Contains(",workspace_create,", line, StringComparison.Ordinal));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString,
            "SELECT count(*) FROM audit_events WHERE org_id = @o AND action = 'export' AND details ->> 'rows' = '2'", ("o", world.OrgA)));
    }

    [Fact]
    public async Task Nothing_matching_is_a_header_only_file()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        using var client = ClientFor(world.OwnerA, out var factory);
        await using var _ = factory;

        var body = await client.GetStringAsync(new Uri($"/audit/export?org={world.OrgA}&format=csv&text=no-such-thing", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.StartsWith("seq,occurred_at", Assert.Single(body.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("member", "format=csv", HttpStatusCode.Forbidden)]
    [InlineData("stranger", "format=csv", HttpStatusCode.NotFound)]
    [InlineData("owner", "format=xml", HttpStatusCode.BadRequest)]
    [InlineData("owner", "format=csv&from=2026-05-02&to=2026-05-01", HttpStatusCode.BadRequest)]
    public async Task Refusals_are_problem_details_and_export_nothing(string who, string query, HttpStatusCode expected)
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var user = who switch { "member" => world.MemberA, "stranger" => world.OwnerB, _ => world.OwnerA };
        using var client = ClientFor(user, out var factory);
        await using var _ = factory;

        using var response = await client.GetAsync(new Uri($"/audit/export?org={world.OrgA}&{query}", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.DoesNotContain("seq,occurred_at", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        if (expected != HttpStatusCode.NotFound)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString,
            "SELECT count(*) FROM audit_events WHERE org_id = @o AND action = 'export'", ("o", world.OrgA)));
    }

    private HttpClient ClientFor(Guid user, out PortalAppFactory factory)
    {
        factory = PortalAppFactory.For(fixture.Database);
        var configured = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, HeaderAuthentication>(HeaderAuthentication.SchemeName, _ => { });
            services.PostConfigure<AuthenticationOptions>(o =>
            {
                o.DefaultScheme = HeaderAuthentication.SchemeName;
                o.DefaultAuthenticateScheme = HeaderAuthentication.SchemeName;
                o.DefaultChallengeScheme = HeaderAuthentication.SchemeName;
            });
        }));
        var client = configured.CreateClient();
        client.DefaultRequestHeaders.Add(HeaderAuthentication.Header, user.ToString());
        return client;
    }

    private sealed class HeaderAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "TestHeader";
        public const string Header = "X-Test-User";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers.TryGetValue(Header, out var id)
                ? AuthenticateResult.Success(new AuthenticationTicket(
                    new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id.ToString())], SchemeName)), SchemeName))
                : AuthenticateResult.NoResult());
    }
}
