namespace TenantPortal.Tests.Infrastructure;

/// <summary>Class fixture: a fresh migrated database for one test class, dropped afterwards.</summary>
public sealed class DatabaseFixture(PostgresCluster cluster) : IAsyncLifetime
{
    private TestDatabase? database;

    public TestDatabase Database => database ?? throw new InvalidOperationException("The database is not ready.");

    public PostgresCluster Cluster => cluster;

    public async ValueTask InitializeAsync() => database = await cluster.CreateDatabaseAsync("class");

    public async ValueTask DisposeAsync()
    {
        if (database is not null)
        {
            await cluster.DropDatabaseAsync(database.Name);
        }
    }
}
