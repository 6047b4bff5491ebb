using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Hosting;

[assembly: AssemblyFixture(typeof(TenantPortal.Tests.Infrastructure.PostgresCluster))]

namespace TenantPortal.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the whole test run: the app's own embedded launcher in a temporary folder,
/// or the server named by TENANTPORTAL_TEST_DATABASE (a connection string of a role that may create roles and databases).
/// It holds a migrated template database; every test class gets a fresh copy of it.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    public const string ExternalVariable = "TENANTPORTAL_TEST_DATABASE";
    private const string TemplateName = "tp_template";
    private readonly SemaphoreSlim createLock = new(1, 1);
    private EmbeddedPostgres? embedded;
    private string? temporaryRoot;
    private string adminConnectionString = "";
    private int databaseCounter;

    public string OwnerPassword { get; } = NewPassword();

    public string AppPassword { get; } = NewPassword();

    /// <summary>The folder holding the server programs, for tests that run a second, private cluster.</summary>
    public IReadOnlyList<string> BinarySearchPath { get; } = PostgresBinaries.DefaultSearchPath();

    public async ValueTask InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(ExternalVariable);
        if (string.IsNullOrWhiteSpace(external))
        {
            temporaryRoot = Directory.CreateTempSubdirectory("tenantportal-tests-").FullName;
            // PostgreSQL runs as the postgres user when the tests run as root; it must be able to reach the folder.
            File.SetUnixFileMode(temporaryRoot, (UnixFileMode)0b111_101_101);
            embedded = new EmbeddedPostgres(new EmbeddedPostgresOptions(Path.Combine(temporaryRoot, "pg"), BinarySearchPath));
            await embedded.StartAsync();
            adminConnectionString = embedded.SuperuserConnectionString();
        }
        else
        {
            adminConnectionString = new NpgsqlConnectionStringBuilder(external) { Pooling = false }.ConnectionString;
        }

        await DatabaseBootstrap.EnsureRolesAsync(adminConnectionString, OwnerPassword, AppPassword);
        await Sql.ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS {TemplateName} WITH (FORCE)");
        await DatabaseBootstrap.EnsureDatabaseAsync(adminConnectionString, TemplateName);

        await SchemaMigrator.MigrateAsync(ConnectionString(DatabaseBootstrap.OwnerRole, OwnerPassword, TemplateName));

        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Creates a database owned by portal_owner: a copy of the migrated template, or (unmigrated) an empty one.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(string purpose, bool migrated = true)
    {
        var name = $"tp_{new string(purpose.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Interlocked.Increment(ref databaseCounter)}_{Environment.ProcessId}";
        // CREATE DATABASE ... TEMPLATE needs the template free of other sessions; one copy at a time.
        await createLock.WaitAsync();
        try
        {
            await Sql.ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            var template = migrated ? TemplateName : "template0";
            await Sql.ExecuteAsync(adminConnectionString, $"CREATE DATABASE {name} TEMPLATE {template} OWNER {DatabaseBootstrap.OwnerRole}");
        }
        finally
        {
            createLock.Release();
        }

        return new TestDatabase(
            name,
            ConnectionString(DatabaseBootstrap.AppRole, AppPassword, name),
            ConnectionString(DatabaseBootstrap.OwnerRole, OwnerPassword, name),
            SuperuserConnectionString(name));
    }

    /// <summary>A database of its own for one test, dropped when the test disposes it.</summary>
    public async Task<ScratchDatabase> ScratchDatabaseAsync(string purpose, bool migrated = true) =>
        new(this, await CreateDatabaseAsync(purpose, migrated));

    public async Task DropDatabaseAsync(string name)
    {
        // Only this database's pools: other classes run meanwhile, and some test what their own pool hands back.
        foreach (var connectionString in new[] { ConnectionString(DatabaseBootstrap.AppRole, AppPassword, name),
                     ConnectionString(DatabaseBootstrap.OwnerRole, OwnerPassword, name), SuperuserConnectionString(name) })
        {
            using var connection = new NpgsqlConnection(connectionString);
            NpgsqlConnection.ClearPool(connection);
        }

        // FORCE ends whatever connections are still open to it.
        await Sql.ExecuteAsync(adminConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    public async ValueTask DisposeAsync()
    {
        if (embedded is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await embedded.StopAsync();
        }

        if (temporaryRoot is not null)
        {
            Directory.Delete(temporaryRoot, recursive: true);
        }

        createLock.Dispose();
    }

    private string ConnectionString(string user, string password, string database) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Username = user, Password = password, Database = database, Pooling = true }.ConnectionString;

    private string SuperuserConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;

    private static string NewPassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
}

/// <summary>A database for one test (a scratch catalog, a migrator run); disposing it drops it.</summary>
public sealed class ScratchDatabase(PostgresCluster cluster, TestDatabase database) : IAsyncDisposable
{
    public TestDatabase Database => database;

    public ValueTask DisposeAsync() => new(cluster.DropDatabaseAsync(database.Name));
}

/// <summary>A per-class database: <see cref="AppConnectionString"/> is portal_app, what requests use.</summary>
public sealed record TestDatabase(string Name, string AppConnectionString, string OwnerConnectionString, string AdminConnectionString);
