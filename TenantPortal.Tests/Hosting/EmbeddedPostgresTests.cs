using Npgsql;
using TenantPortal.Hosting;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Hosting;

/// <summary>The launcher behind <c>dotnet run</c>: a private cluster of its own, not the shared test server.</summary>
public sealed class EmbeddedPostgresTests(PostgresCluster cluster) : IAsyncLifetime
{
    private readonly string root = Directory.CreateTempSubdirectory("tenantportal-launcher-").FullName;

    private string DataDirectory => Path.Combine(root, "pg");

    public ValueTask InitializeAsync()
    {
        // PostgreSQL runs as the postgres user when tests run as root; it must reach the folder.
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(root, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Start_stop_and_restart_keeps_the_data()
    {
        await using (var first = NewLauncher())
        {
            await first.StartAsync(TestContext.Current.CancellationToken);
            Assert.True(File.Exists(Path.Combine(DataDirectory, "PG_VERSION")));
            await Sql.ExecuteAsync(first.SuperuserConnectionString(), "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('survives a restart')");
            await first.StopAsync();
            Assert.False(ServerRunsOn(DataDirectory), "no postgres process may be left after StopAsync");
        }

        await using var second = NewLauncher();
        await second.StartAsync(TestContext.Current.CancellationToken);
        var note = await Sql.ScalarAsync<string>(second.SuperuserConnectionString(), "SELECT note FROM kept");
        Assert.Equal("survives a restart", note);
        await second.StopAsync();
        Assert.False(ServerRunsOn(DataDirectory));
    }

    [Fact]
    public async Task A_server_left_running_is_adopted_and_then_stopped()
    {
        var first = NewLauncher();
        await first.StartAsync(TestContext.Current.CancellationToken);
        // Simulate a crash: the first launcher never stops its server.

        await using var second = NewLauncher();
        await second.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(first.Port, second.Port);
        Assert.Equal(1, await Sql.ScalarAsync<int>(second.SuperuserConnectionString(), "SELECT 1"));
        await second.StopAsync();
        Assert.False(ServerRunsOn(DataDirectory));
    }

    [Fact]
    public async Task Bootstrap_creates_roles_that_can_sign_in_and_a_database_owned_by_portal_owner()
    {
        await using var launcher = NewLauncher();
        await launcher.StartAsync(TestContext.Current.CancellationToken);
        var superuser = launcher.SuperuserConnectionString();
        await DatabaseBootstrap.EnsureRolesAsync(superuser, "owner-secret", "app-secret", TestContext.Current.CancellationToken);
        await DatabaseBootstrap.EnsureDatabaseAsync(superuser, "portal", TestContext.Current.CancellationToken);
        // Running twice changes nothing and fails nothing.
        await DatabaseBootstrap.EnsureRolesAsync(superuser, "owner-secret", "app-secret", TestContext.Current.CancellationToken);
        await DatabaseBootstrap.EnsureDatabaseAsync(superuser, "portal", TestContext.Current.CancellationToken);

        Assert.Equal("portal_owner", await Sql.ScalarAsync<string>(superuser,
            "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = 'portal'"));
        var app = launcher.ConnectionString("portal_app", "app-secret", "portal") + ";Pooling=false";
        Assert.Equal("portal_app", await Sql.ScalarAsync<string>(app, "SELECT current_user::text"));
        await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ScalarAsync<int>(launcher.ConnectionString("portal_app", "wrong", "portal") + ";Pooling=false", "SELECT 1"));
        await launcher.StopAsync();
    }

    [Fact]
    public async Task Missing_server_binaries_give_one_message_naming_the_package_and_both_settings()
    {
        var empty = Directory.CreateDirectory(Path.Combine(root, "no-binaries")).FullName;
        await using var launcher = new EmbeddedPostgres(new EmbeddedPostgresOptions(DataDirectory, [empty]));

        var error = await Assert.ThrowsAsync<StartupException>(() => launcher.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__Portal ", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__PortalMigrations", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DataDirectory), "nothing is created when the binaries are missing");
    }

    [Fact]
    public async Task A_non_empty_folder_that_is_not_a_cluster_is_refused()
    {
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(DataDirectory, "notes.txt"), "mine", TestContext.Current.CancellationToken);
        await using var launcher = NewLauncher();

        var error = await Assert.ThrowsAsync<StartupException>(() => launcher.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("not a PostgreSQL data directory", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(DataDirectory, "notes.txt"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task As_root_a_data_directory_the_postgres_user_cannot_reach_moves_where_it_can_and_stays_there()
    {
        Assert.SkipUnless(Environment.UserName == "root", "PostgreSQL runs as another user only when the tests run as root.");
        // A clone in root's home: the folder above the data directory is 0700.
        var privateHome = Directory.CreateDirectory(Path.Combine(root, "home")).FullName;
        File.SetUnixFileMode(privateHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var configured = Path.Combine(privateHome, "clone", ".data", "pg");
        var serviceRoot = Path.Combine(root, "service");
        var options = new EmbeddedPostgresOptions(configured, cluster.BinarySearchPath, serviceRoot);

        string relocated;
        await using (var first = new EmbeddedPostgres(options))
        {
            await first.StartAsync(TestContext.Current.CancellationToken);
            relocated = first.DataDirectory;
            Assert.StartsWith(serviceRoot + "/", relocated, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(relocated, "PG_VERSION")));
            Assert.False(File.Exists(Path.Combine(configured, "PG_VERSION")));
            await Sql.ExecuteAsync(first.SuperuserConnectionString(), "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('found again')");
            await first.StopAsync();
        }

        // The next run finds the same cluster without being told where it went.
        await using var second = new EmbeddedPostgres(options);
        await second.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(relocated, second.DataDirectory);
        Assert.Equal("found again", await Sql.ScalarAsync<string>(second.SuperuserConnectionString(), "SELECT note FROM kept"));
        await second.StopAsync();
        Assert.False(ServerRunsOn(relocated));
    }

    [Fact]
    public async Task A_data_directory_the_server_can_reach_is_used_where_it_is()
    {
        await using var launcher = NewLauncher();
        await launcher.StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(DataDirectory, launcher.DataDirectory);
        Assert.True(File.Exists(Path.Combine(DataDirectory, "PG_VERSION")));
        await launcher.StopAsync();
    }

    private EmbeddedPostgres NewLauncher() => new(new EmbeddedPostgresOptions(DataDirectory, cluster.BinarySearchPath));

    /// <summary>True while any process is a postgres server for that data directory.</summary>
    internal static bool ServerRunsOn(string dataDirectory)
    {
        foreach (var proc in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains("postgres", StringComparison.Ordinal) && commandLine.Contains($"-D {dataDirectory} ", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return false;
    }
}
