using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Data;

/// <summary>portal_app, the role requests use, can do what the app needs and nothing that would weaken isolation.</summary>
public sealed class DatabaseRolesTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Portal_app_is_not_superuser_and_cannot_bypass_row_level_security()
    {
        var flags = await Sql.ScalarAsync<string>(Db.AppConnectionString,
            "SELECT format('%s/%s/%s/%s', rolsuper, rolbypassrls, rolcreaterole, rolcreatedb) FROM pg_roles WHERE rolname = current_user");
        Assert.Equal("f/f/f/f", flags);
    }

    [Fact]
    public async Task Portal_app_owns_no_relation_schema_function_or_type()
    {
        var owned = await Sql.ColumnAsync(Db.AdminConnectionString, """
            SELECT 'relation ' || relname FROM pg_class WHERE relowner = 'portal_app'::regrole
            UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = 'portal_app'::regrole
            UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proowner = 'portal_app'::regrole
            UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typowner = 'portal_app'::regrole
            """);
        Assert.Empty(owned);

        // Positive control: the same query finds what portal_owner owns.
        var ownerTables = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT relname FROM pg_class WHERE relowner = 'portal_owner'::regrole AND relkind = 'r'");
        Assert.Contains("users", ownerTables);
    }

    [Fact]
    public async Task Portal_app_cannot_create_objects_or_change_the_schema()
    {
        var create = await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ExecuteAsync(Db.AppConnectionString, "CREATE TABLE sneaky (id int)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, create.SqlState);

        var alter = await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ExecuteAsync(Db.AppConnectionString, "ALTER TABLE users ADD COLUMN sneaky int"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, alter.SqlState);

        var history = await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ScalarAsync<long>(Db.AppConnectionString, "SELECT count(*) FROM schema_history"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, history.SqlState);
    }

    [Fact]
    public async Task Portal_app_reads_and_writes_the_identity_tables()
    {
        var id = Guid.NewGuid();
        await InsertUserAsync(id, $"{id:N}@example.com");
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AppConnectionString, "SELECT count(*) FROM users WHERE id = @id", ("id", id)));
        await Sql.ExecuteAsync(Db.AppConnectionString, "INSERT INTO user_claims (user_id, claim_type, claim_value) VALUES (@id, 'k', 'v')", ("id", id));
        Assert.Equal(1, await Sql.ExecuteAsync(Db.AppConnectionString, "DELETE FROM users WHERE id = @id", ("id", id)));
    }

    [Fact]
    public async Task Only_the_first_user_becomes_platform_admin_and_the_flag_cannot_be_granted_by_the_app()
    {
        await using var databaseScope = await fixture.Cluster.ScratchDatabaseAsync("firstuser");
        var database = databaseScope.Database;
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        await InsertUserAsync(first, "first@example.com", database.AppConnectionString, claimAdmin: false);
        await InsertUserAsync(second, "second@example.com", database.AppConnectionString, claimAdmin: true);

        Assert.True(await Sql.ScalarAsync<bool>(database.AppConnectionString, "SELECT is_platform_admin FROM users WHERE id = @id", ("id", first)));
        Assert.False(await Sql.ScalarAsync<bool>(database.AppConnectionString, "SELECT is_platform_admin FROM users WHERE id = @id", ("id", second)));

        var grant = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(database.AppConnectionString,
            "UPDATE users SET is_platform_admin = true WHERE id = @id", ("id", second)));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, grant.SqlState);

        // Updating other columns (as Identity does, writing every column) still works.
        Assert.Equal(1, await Sql.ExecuteAsync(database.AppConnectionString,
            "UPDATE users SET display_name = 'Second', is_platform_admin = false WHERE id = @id", ("id", second)));
    }

    [Fact]
    public async Task Two_accounts_cannot_share_an_email_even_when_the_app_check_is_raced()
    {
        var address = $"{Guid.NewGuid():N}@example.com";
        await InsertUserAsync(Guid.NewGuid(), address);
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => InsertUserAsync(Guid.NewGuid(), address.ToUpperInvariant()));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }

    private Task<int> InsertUserAsync(Guid id, string email, string? connectionString = null, bool claimAdmin = false) =>
        Sql.ExecuteAsync(connectionString ?? Db.AppConnectionString, """
            INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed,
                               phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count, is_platform_admin)
            VALUES (@id, @email, upper(@email), @email, upper(@email), true, false, false, true, 0, @admin)
            """, ("id", id), ("email", email), ("admin", claimAdmin));
}
