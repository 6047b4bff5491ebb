using Npgsql;
using TenantPortal.Tests.Infrastructure;
using TenantPortal.Tests.Tenancy;

namespace TenantPortal.Tests.Features.AuditLog;

/// <summary>Every change to every tenant table leaves exactly one event, in the same transaction.</summary>
public sealed class AuditCompletenessTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Every_tenant_table_has_the_audit_trigger()
    {
        Assert.Empty(await TenantCatalog.UnauditedAsync(Db.AdminConnectionString));

        await using var scratchScope = await fixture.Cluster.ScratchDatabaseAsync("audit-catalog");
        var scratch = scratchScope.Database;
        await Sql.ExecuteAsync(scratch.OwnerConnectionString, "CREATE TABLE forgotten (org_id uuid NOT NULL)");
        Assert.Equal(["forgotten"], await TenantCatalog.UnauditedAsync(scratch.AdminConnectionString)); // the check can fail
    }

    /// <summary>A table only agents write (and nobody updates or deletes): an agent's insert leaves one event.</summary>
    private async Task AgentInsertLeavesOneEventAsync(TwoTenants world, string table, List<string> failures)
    {
        await using var agent = await Tenants.OpenAgentAsync(Db, world.KeyA);
        await using var transaction = await agent.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var row = await Sql.ScalarAsync<string>(agent, $"SELECT row_to_json(t)::text FROM {table} t WHERE org_id = @a LIMIT 1", ("a", world.OrgA));
        if (row is null)
        {
            failures.Add($"{table}: the scenario has no row of organization A that its agent sees");
            return;
        }

        // A copy of the row; an agent takes part in a meeting once, so a copied participant is another agent of the project.
        async Task<string> CopyAsync() => table == "meeting_participants"
            ? row.Replace(world.AgentA.ToString(), (await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, $"invitee-{Guid.NewGuid():N}"[..20])).ToString(),
                StringComparison.Ordinal)
            : row;
        var copies = new[] { await CopyAsync(), await CopyAsync() };
        var before = await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT coalesce(max(seq), 0) FROM audit_events WHERE org_id = @a", ("a", world.OrgA));
        var columns = await Sql.InsertableColumnsAsync(agent, table);
        var inserted = await Sql.ExecuteAsync(agent, $"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_record(NULL::{table}, @row::json)",
            ("row", copies[0]));
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        var events = await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            $"SELECT count(*) FROM audit_events WHERE org_id = @a AND seq > {before} AND entity_type = '{table}' AND api_key_id IS NOT NULL", ("a", world.OrgA));
        if (inserted != 1 || events != 1)
        {
            failures.Add($"{table}: an agent's insert affected {inserted} rows and left {events} events with its key");
        }

        var head = await HeadAsync(world.OrgA);
        await using var rolledBack = await agent.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Sql.ExecuteAsync(agent, $"INSERT INTO {table} ({columns}) SELECT {columns} FROM json_populate_record(NULL::{table}, @row::json)", ("row", copies[1]));
        await rolledBack.RollbackAsync(TestContext.Current.CancellationToken);
        if (await HeadAsync(world.OrgA) != head)
        {
            failures.Add($"{table}: events of a rolled-back transaction remained");
        }
    }

    [Fact]
    public async Task Insert_update_and_delete_each_leave_one_event_and_a_rollback_leaves_none()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var failures = new List<string>();
        foreach (var table in (await TenantCatalog.TenantTablesAsync(Db.AdminConnectionString)).Where(t => t != "audit_events"))
        {
            var column = TenantCatalog.TenantColumn(table);
            var headBefore = await HeadAsync(world.OrgA);
            if (await Sql.ScalarAsync<bool>(Db.AdminConnectionString,
                    "SELECT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = @t::regclass AND polname = 'agents_insert')", ("t", table)))
            {
                await AgentInsertLeavesOneEventAsync(world, table, failures);
                continue;
            }

            await using var a = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
            await using (var transaction = await a.BeginTransactionAsync(TestContext.Current.CancellationToken))
            {
                // Not an owner's membership: the last owner cannot be deleted.
                var row = await Sql.ScalarAsync<string>(a,
                    $"SELECT row_to_json(t)::text FROM {table} t WHERE {column} = @a ORDER BY row_to_json(t) ->> 'role' = 'owner' NULLS FIRST LIMIT 1", ("a", world.OrgA));
                if (row is null)
                {
                    failures.Add($"{table}: the scenario has no row of organization A");
                    continue;
                }

                var steps = new (string Operation, string Sql)[]
                {
                    ("update", $"UPDATE {table} SET {column} = {column} WHERE ctid = (SELECT ctid FROM {table} WHERE {column} = @a LIMIT 1)"),
                    ("delete", $"DELETE FROM {table} WHERE ctid = (SELECT ctid FROM {table} WHERE row_to_json({table})::text = @row)"),
                    ("insert", $"INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, @row::json)"),
                };
                foreach (var (operation, sql) in steps)
                {
                    var before = await Sql.ScalarAsync<long>(a, "SELECT coalesce(max(seq), 0) FROM audit_events WHERE org_id = @a", ("a", world.OrgA));
                    await using (var command = new NpgsqlCommand(sql, a))
                    {
                        command.Parameters.AddWithValue("a", world.OrgA);
                        command.Parameters.AddWithValue("row", row);
                        var affected = await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
                        if (affected != 1)
                        {
                            failures.Add($"{table}: {operation} affected {affected} rows");
                        }
                    }

                    var events = await Sql.ScalarAsync<long>(a,
                        $"SELECT count(*) FROM audit_events WHERE org_id = @a AND seq > {before} AND entity_type = '{table}'", ("a", world.OrgA));
                    if (events != 1)
                    {
                        failures.Add($"{table}: {operation} left {events} events");
                    }
                }

                await transaction.RollbackAsync(TestContext.Current.CancellationToken);
            }

            if (await HeadAsync(world.OrgA) != headBefore)
            {
                failures.Add($"{table}: events of a rolled-back transaction remained");
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Events_carry_the_actor_the_action_and_old_and_new_values()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var a = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        await Tenants.ExecuteAsync(a, "UPDATE workspaces SET name = 'Lab' WHERE id = @w", ("w", world.SecondA));
        await Tenants.ExecuteAsync(a, "UPDATE workspaces SET archived_at = now() WHERE id = @w", ("w", world.SecondA));
        await Tenants.ExecuteAsync(a, "UPDATE org_members SET role = 'admin' WHERE user_id = @u", ("u", world.MemberA));

        var events = await Sql.ColumnAsync(Db.AdminConnectionString, $"""
            SELECT concat_ws(' ', action, actor_type, (actor_id = '{world.OwnerA}')::text, host(ip_address), user_agent,
                             details -> 'old' ->> 'name', details -> 'new' ->> 'name', details ->> 'changed')
            FROM audit_events WHERE org_id = '{world.OrgA}' AND action IN ('workspace_update', 'workspace_archive', 'member_role_change')
            ORDER BY seq
            """);

        Assert.Equal(
        [
            // updated_at is the database's stamp of the change, so it is among the changed fields.
            "workspace_update human true 127.0.0.1 tests Research Lab [\"name\", \"updated_at\"]",
            "workspace_archive human true 127.0.0.1 tests Lab Lab [\"archived_at\", \"updated_at\"]",
            "member_role_change human true 127.0.0.1 tests [\"role\"]",
        ], events);
        Assert.Equal(["org_create", "member_add", "workspace_create"], await Sql.ColumnAsync(Db.AdminConnectionString,
            $"SELECT action FROM audit_events WHERE org_id = '{world.OrgA}' ORDER BY seq LIMIT 3"));
    }

    [Fact]
    public async Task Secrets_are_redacted_from_details()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var a = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);

        await Sql.ScalarAsync<long>(a, """SELECT app.record_event('export', 'audit_events', NULL, '{"password": "p4ss", "api_token": "t0k", "rows": 3}'::jsonb)""");

        var details = await Sql.ScalarAsync<string>(Db.AdminConnectionString,
            "SELECT details::text FROM audit_events WHERE org_id = @a AND action = 'export'", ("a", world.OrgA));
        Assert.Equal("""{"rows": 3, "password": "[redacted]", "api_token": "[redacted]"}""", details);
    }

    private async Task<string?> HeadAsync(Guid org) =>
        await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT seq || ':' || encode(hash, 'hex') FROM audit_chain_heads WHERE chain_key = @o", ("o", org));

}
