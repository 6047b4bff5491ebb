using Npgsql;
using TenantPortal.Data;
using TenantPortal.Hosting;

namespace TenantPortal.Bench;

/// <summary>A private PostgreSQL for one bench run (the app's embedded launcher in a temporary folder), migrated, with both portal roles.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string root;
    private readonly EmbeddedPostgres postgres;
    private readonly string ownerPassword = Guid.NewGuid().ToString("N");
    private readonly string appPassword = Guid.NewGuid().ToString("N");

    private BenchDatabase(string root)
    {
        this.root = root;
        postgres = new EmbeddedPostgres(new EmbeddedPostgresOptions(Path.Combine(root, "pg"), PostgresBinaries.DefaultSearchPath()));
    }

    public string Superuser => Connection("postgres", postgres.Credentials.SuperuserPassword);

    public string Owner => Connection(DatabaseBootstrap.OwnerRole, ownerPassword);

    public string App => Connection(DatabaseBootstrap.AppRole, appPassword);

    public static async Task<BenchDatabase> StartAsync()
    {
        var root = Directory.CreateTempSubdirectory("tenantportal-bench-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // PostgreSQL runs as the postgres user when the bench runs as root; it must be able to reach the folder.
            File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101);
        }

        var database = new BenchDatabase(root);
        await database.postgres.StartAsync();
        var admin = database.postgres.SuperuserConnectionString();
        await DatabaseBootstrap.EnsureRolesAsync(admin, database.ownerPassword, database.appPassword);
        await DatabaseBootstrap.EnsureDatabaseAsync(admin, "bench");
        await SchemaMigrator.MigrateAsync(database.Owner);
        return database;
    }

    public string Connection(string user, string password) =>
        new NpgsqlConnectionStringBuilder(postgres.SuperuserConnectionString()) { Username = user, Password = password, Database = "bench", Pooling = true }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await postgres.StopAsync();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>The bench folder of the repository (results are kept next to the code that produced them).</summary>
    public static string BenchDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "TenantPortal.sln")))
            {
                return Path.Combine(directory.FullName, "bench");
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
