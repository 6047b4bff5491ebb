using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Hosting;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Hosting;

/// <summary>What an operator sees when the app cannot start: one message, a non-zero exit code, no stack trace.</summary>
public sealed class StartupTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Missing_postgres_binaries_exit_non_zero_with_the_install_hint_and_no_stack_trace()
    {
        var empty = Directory.CreateTempSubdirectory("tenantportal-nobin-").FullName;
        try
        {
            await using var app = AppProcess.Start(new Dictionary<string, string?>
            {
                ["Database__PostgresBinDirectories"] = empty,
                ["Database__DataDirectory"] = Path.Combine(empty, "pg"),
            });

            var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

            Assert.NotEqual(0, exitCode);
            Assert.Contains("apt-get install postgresql", app.Output, StringComparison.Ordinal);
            Assert.Contains("ConnectionStrings__Portal ", app.Output, StringComparison.Ordinal);
            Assert.Contains("ConnectionStrings__PortalMigrations", app.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Theory]
    [InlineData("Max Auto Prepare=10", "Max Auto Prepare")]
    [InlineData("Multiplexing=true", "Multiplexing")]
    public async Task Unsafe_pooling_options_are_refused_at_startup(string option, string named)
    {
        await using var app = AppProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Portal"] = $"{fixture.Database.AppConnectionString};{option}",
            ["ConnectionStrings__PortalMigrations"] = fixture.Database.OwnerConnectionString,
        });

        var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"ConnectionStrings:Portal sets '{named}", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_one_connection_string_is_refused()
    {
        await using var app = AppProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Portal"] = fixture.Database.AppConnectionString,
        });

        var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Set both ConnectionStrings__Portal", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_a_message_not_a_stack_trace()
    {
        using var occupant = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((System.Net.IPEndPoint)occupant.LocalEndpoint).Port;

        await using var app = AppProcess.Start(new Dictionary<string, string?>
        {
            ["ConnectionStrings__Portal"] = fixture.Database.AppConnectionString,
            ["ConnectionStrings__PortalMigrations"] = fixture.Database.OwnerConnectionString,
        }, port);
        var exitCode = await app.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("address already in use", app.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("--urls", app.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", app.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_connection_strings_migrate_and_serve_health()
    {
        // A database that exists (owned by portal_owner) but was never migrated, as an operator would provide it.
        await using var databaseScope = await fixture.Cluster.ScratchDatabaseAsync("external", migrated: false);
        var database = databaseScope.Database;
        Assert.Equal(0L, await Sql.ScalarAsync<long>(database.AdminConnectionString,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));

        await using var app = await AppProcess.StartHealthyAsync(database);

        // Every migration of this build is recorded, and a second run has nothing left to do.
        var migrations = SchemaScript.Embedded().Where(s => s.Phase == SchemaScript.Migration).Select(s => s.Name).ToList();
        Assert.NotEmpty(migrations);
        Assert.Equal(migrations, await Sql.ColumnAsync(database.AdminConnectionString,
            "SELECT name FROM schema_history WHERE phase = 'migration' ORDER BY name"));
        Assert.Empty(await SchemaMigrator.MigrateAsync(database.OwnerConnectionString, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("portal_owner", await Sql.ScalarAsync<string>(database.AdminConnectionString,
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'users'"));
    }
}

public sealed class ConnectionStringRulesTests
{
    [Theory]
    [InlineData("Host=db;Username=portal_app;Multiplexing=true")]
    [InlineData("Host=db;Username=portal_app;Max Auto Prepare=20")]
    public void Options_that_keep_session_settings_across_requests_are_refused(string connectionString)
    {
        var error = Assert.Throws<StartupException>(() => ConnectionStringRules.Validate("Portal", connectionString));
        Assert.StartsWith("ConnectionStrings:Portal sets", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=db;Username=portal_app;Password=x")]
    [InlineData("Host=db;Username=portal_app;No Reset On Close=false;Multiplexing=false")]
    [InlineData("Host=db;Username=portal_app;No Reset On Close=true")] // the request role's pool is reset by the app itself either way
    public void Ordinary_connection_strings_pass(string connectionString) =>
        ConnectionStringRules.Validate("Portal", connectionString);

    [Fact]
    public void A_malformed_connection_string_is_a_startup_error_not_a_crash()
    {
        var error = Assert.Throws<StartupException>(() => ConnectionStringRules.Validate("PortalMigrations", "Host=db;Bogus Option=1"));
        Assert.Contains("ConnectionStrings:PortalMigrations is not a valid", error.Message, StringComparison.Ordinal);
    }
}
