using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

/// <summary>
/// For every tenant table in the catalog, as portal_app with raw SQL (no application filter): organization A's context
/// sees A's rows and none of B's, cannot change or delete B's rows, and cannot insert a row for B.
/// </summary>
public sealed class TenantTableIsolationTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Each_tenant_table_is_isolated_between_organizations()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var tables = await TenantCatalog.TenantTablesAsync(Db.AdminConnectionString);
        Assert.NotEmpty(tables);
        var failures = new List<string>();

        foreach (var table in tables)
        {
            var column = TenantCatalog.TenantColumn(table);
            var rowsOfB = await Sql.ScalarAsync<long>(Db.AdminConnectionString, $"SELECT count(*) FROM {table} WHERE {column} = @b", ("b", world.OrgB));
            if (rowsOfB == 0)
            {
                failures.Add($"{table}: the scenario has no row of organization B; add one to TwoTenants so the table is tested");
                continue;
            }

            // Append-only tables (the audit log) grant no UPDATE or DELETE: there every attempt must be refused outright.
            var writable = await Sql.ScalarAsync<bool>(Db.AdminConnectionString,
                "SELECT has_table_privilege('portal_app', @t, 'UPDATE') AND has_table_privilege('portal_app', @t, 'DELETE')", ("t", table));

            await using var a = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
            await using var transaction = await a.BeginTransactionAsync(TestContext.Current.CancellationToken);
            var ownRows = await Tenants.CountAsync(a, $"SELECT count(*) FROM {table} WHERE {column} = @a", ("a", world.OrgA));
            var foreignRows = await Tenants.CountAsync(a, $"SELECT count(*) FROM {table} WHERE {column} = @b", ("b", world.OrgB));
            var foreignUnfiltered = await Tenants.CountAsync(a, $"SELECT count(*) FROM {table} WHERE {column} <> @a", ("a", world.OrgA));
            var updatedOwn = await TryExecuteAsync(a, $"UPDATE {table} SET {column} = {column} WHERE {column} = @o", world.OrgA);
            var updatedForeign = await TryExecuteAsync(a, $"UPDATE {table} SET {column} = {column} WHERE {column} = @o", world.OrgB);
            var deletedForeign = await TryExecuteAsync(a, $"DELETE FROM {table} WHERE {column} = @o", world.OrgB);
            var insertState = await InsertCopyOfForeignRowAsync(a, table, column, world);
            await transaction.RollbackAsync(TestContext.Current.CancellationToken);

            if (ownRows == 0) failures.Add($"{table}: A's own rows are invisible to A (positive control)");
            if (foreignRows != 0 || foreignUnfiltered != 0) failures.Add($"{table}: A sees {Math.Max(foreignRows, foreignUnfiltered)} row(s) of B");
            if (writable)
            {
                if (!int.TryParse(updatedOwn, out var updated) || updated == 0) failures.Add($"{table}: A's update of its own rows gave {updatedOwn} (positive control)");
                if (updatedForeign != "0") failures.Add($"{table}: updating B's rows gave {updatedForeign}");
                if (deletedForeign != "0") failures.Add($"{table}: deleting B's rows gave {deletedForeign}");
            }
            else
            {
                foreach (var (what, outcome) in new[] { ("own update", updatedOwn), ("foreign update", updatedForeign), ("foreign delete", deletedForeign) })
                {
                    if (outcome != PostgresErrorCodes.InsufficientPrivilege) failures.Add($"{table}: {what} on an append-only table gave {outcome}, not 42501");
                }
            }

            if (insertState != PostgresErrorCodes.InsufficientPrivilege) failures.Add($"{table}: inserting a row for B gave {insertState ?? "success"}, not 42501");

            var stillThere = await Sql.ScalarAsync<long>(Db.AdminConnectionString, $"SELECT count(*) FROM {table} WHERE {column} = @b", ("b", world.OrgB));
            if (stillThere != rowsOfB) failures.Add($"{table}: B's rows changed from {rowsOfB} to {stillThere}");
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Without_context_selects_return_nothing_and_inserts_fail_with_42501()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var failures = new List<string>();
        foreach (var table in await TenantCatalog.TenantTablesAsync(Db.AdminConnectionString))
        {
            var column = TenantCatalog.TenantColumn(table);
            var template = await Sql.ScalarAsync<string>(Db.AdminConnectionString,
                $"SELECT row_to_json(t)::text FROM {table} t WHERE {column} = @b LIMIT 1", ("b", world.OrgB));
            if (template is null)
            {
                failures.Add($"{table}: no row to test with");
                continue;
            }

            await using var bare = new NpgsqlConnection(Db.AppConnectionString);
            await bare.OpenAsync(TestContext.Current.CancellationToken);
            if (await Tenants.CountAsync(bare, $"SELECT count(*) FROM {table}") != 0)
            {
                failures.Add($"{table}: rows visible without context");
            }

            var state = await TryInsertAsync(bare, table, template);
            if (state != PostgresErrorCodes.InsufficientPrivilege)
            {
                failures.Add($"{table}: insert without context gave {state ?? "success"}");
            }
        }

        Assert.Empty(failures);
    }

    /// <summary>Runs a statement inside a savepoint; the rows affected as text, or the SQLSTATE it failed with.</summary>
    private static async Task<string> TryExecuteAsync(NpgsqlConnection connection, string sql, Guid org)
    {
        await Tenants.ExecuteAsync(connection, "SAVEPOINT attempt");
        try
        {
            return (await Tenants.ExecuteAsync(connection, sql, ("o", org))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (PostgresException ex)
        {
            await Tenants.ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT attempt");
            return ex.SqlState;
        }
    }

    private static async Task<string?> InsertCopyOfForeignRowAsync(NpgsqlConnection a, string table, string column, TwoTenants world)
    {
        // Built from one of A's own rows with the tenant key switched to B, so only the tenant key is wrong.
        await using (var savepoint = new NpgsqlCommand("SAVEPOINT before_insert", a))
        {
            await savepoint.ExecuteNonQueryAsync();
        }

        await using var read = new NpgsqlCommand($"SELECT row_to_json(t)::jsonb FROM {table} t WHERE {column} = @a LIMIT 1", a);
        read.Parameters.AddWithValue("a", world.OrgA);
        var own = (string?)(await read.ExecuteScalarAsync())?.ToString();
        if (own is null)
        {
            return "no own row";
        }

        var state = await TryInsertAsync(a, table, own, (column, world.OrgB));
        await using var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT before_insert", a);
        await rollback.ExecuteNonQueryAsync();
        return state;
    }

    /// <summary>Inserts a row given as JSON (optionally with one column replaced); returns the SQLSTATE, or null on success.</summary>
    private static async Task<string?> TryInsertAsync(NpgsqlConnection connection, string table, string json, (string Column, Guid Value)? replace = null)
    {
        // Only the columns portal_app may insert, so what refuses the row is row-level security, not a column grant.
        var columns = await Sql.InsertableColumnsAsync(connection, table);
        await using var insert = new NpgsqlCommand(
            replace is null
                ? $"INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{table}, @row::jsonb)"
                : $"INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{table}, @row::jsonb || jsonb_build_object(@column, @value))",
            connection);
        insert.Parameters.AddWithValue("row", json);
        if (replace is { } r)
        {
            insert.Parameters.AddWithValue("column", r.Column);
            insert.Parameters.AddWithValue("value", r.Value.ToString());
        }

        try
        {
            await insert.ExecuteNonQueryAsync();
            return null;
        }
        catch (PostgresException ex)
        {
            return ex.SqlState;
        }
    }
}
