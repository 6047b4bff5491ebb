using System.Net;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Health;

public sealed class HealthEndpointTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Health_is_200_Healthy_when_the_database_answers()
    {
        await using var factory = PortalAppFactory.For(fixture.Database);
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Health_is_503_when_the_database_does_not_answer_and_reveals_nothing()
    {
        const string password = "do-not-leak-this-password";
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        var dead = $"Host=127.0.0.1;Port=1;Username=portal_app;Password={password};Database=nowhere;Timeout=2";
        await using var factory = new PortalAppFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = dead,
            ["ConnectionStrings:PortalMigrations"] = dead,
            ["Database:MigrateOnStartup"] = "false",
        });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", body);
        Assert.DoesNotContain(password, body, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
    }
}
