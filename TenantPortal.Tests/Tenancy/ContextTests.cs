using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

public sealed class ContextTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Context_does_not_survive_the_return_of_a_connection_to_the_pool()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var onePool = new NpgsqlConnectionStringBuilder(Db.AppConnectionString) { MaxPoolSize = 1, ApplicationName = "pool-test" }.ConnectionString;
        int firstPid;
        await using (var a = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA, onePool))
        {
            Assert.True(await Tenants.CountAsync(a, "SELECT count(*) FROM workspaces") > 0, "positive control: A's context sees its workspaces");
            // A statement prepared by SQL in one request is gone before the next (the reset is DISCARD ALL).
            await Tenants.ExecuteAsync(a, "PREPARE planted AS SELECT count(*) FROM workspaces");
            firstPid = a.ProcessID;
        }

        await using var reused = new NpgsqlConnection(onePool);
        await reused.OpenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(firstPid, reused.ProcessID); // the same physical connection came back from the pool
        Assert.Equal(0, await Tenants.CountAsync(reused, "SELECT count(*) FROM pg_prepared_statements"));
        Assert.Equal(0, await Tenants.CountAsync(reused, "SELECT count(*) FROM workspaces"));
        Assert.Equal(0, await Tenants.CountAsync(reused, "SELECT count(*) FROM organizations"));
    }

    [Fact]
    public async Task A_callers_temporary_types_never_run_inside_the_owners_routines()
    {
        // The attack: temporary domains named like built-in types, whose check records who runs it. A SECURITY DEFINER
        // routine that found them first would run the caller's code as portal_owner (and could read the secret).
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        await Tenants.ExecuteAsync(owner, """
            CREATE FUNCTION pg_temp.spy(v pg_catalog.text) RETURNS boolean LANGUAGE sql
                AS $$ SELECT pg_catalog.set_config('spy.ran_as', pg_catalog.current_setting('spy.ran_as', true) || ' ' || current_user, false) IS NOT NULL $$;
            CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.spy(VALUE));
            CREATE DOMAIN pg_temp.uuid AS pg_catalog.uuid CHECK (pg_temp.spy(VALUE::pg_catalog.text));
            CREATE DOMAIN pg_temp.bytea AS pg_catalog.bytea CHECK (pg_temp.spy(''));
            CREATE DOMAIN pg_temp.inet AS pg_catalog.inet CHECK (pg_temp.spy(''));
            """);
        // Positive control: in the caller's own statements the trap springs (as the caller).
        await Tenants.ExecuteAsync(owner, "SELECT 'x'::text, '00000000-0000-0000-0000-000000000000'::uuid");
        Assert.Contains("portal_app", await Sql.ScalarAsync<string>(owner, "SELECT current_setting('spy.ran_as', true)"));

        var failures = new List<string>();
        foreach (var call in new[]
        {
            "SELECT count(*) FROM app.audit_text_matches('%x%')", "SELECT app.view_audit_chain(@o)", "SELECT app.record_event('read')",
            "SELECT app.verify_audit_chain(@o)", "SELECT app.enter_user_context(@u, @o, '127.0.0.1', 'tests')",
            "SELECT count(*) FROM own_platform_events", "UPDATE projects SET name = name || '' WHERE org_id = @o",
        })
        {
            try
            {
                await Tenants.ExecuteAsync(owner, call, ("o", world.OrgA), ("u", world.OwnerA));
            }
            catch (PostgresException ex)
            {
                failures.Add($"{call}: {ex.SqlState} {ex.MessageText}");
            }
        }

        Assert.DoesNotContain("portal_owner", await Sql.ScalarAsync<string>(owner, "SELECT current_setting('spy.ran_as', true)"));
        Assert.Empty(failures); // the routines did their work with the built-in types
    }

    [Fact]
    public async Task Context_set_by_hand_is_ignored_even_with_a_signature_copied_from_another_session()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var legit = await Tenants.OpenAsync(Db, world.OwnerB, world.OrgB);
        Assert.True(await Tenants.CountAsync(legit, "SELECT count(*) FROM workspaces") > 0, "positive control");
        await using var show = new NpgsqlCommand(
            "SELECT current_setting('app.current_workspace_ids') || '|' || current_setting('app.context_signature')", legit);
        var parts = ((string)(await show.ExecuteScalarAsync(TestContext.Current.CancellationToken))!).Split('|');

        await using var forger = new NpgsqlConnection(Db.AppConnectionString);
        await forger.OpenAsync(TestContext.Current.CancellationToken);
        await Tenants.ExecuteAsync(forger, $"""
            SET app.current_user_id = '{world.OwnerB}';
            SET app.current_org_id = '{world.OrgB}';
            SET app.current_org_role = 'owner';
            SET app.current_workspace_ids = '{parts[0]}';
            SET app.actor_type = 'human';
            SET app.actor_id = '{world.OwnerB}';
            SET app.is_platform_admin = 'false';
            SET app.context_signature = '{parts[1]}';
            """);

        Assert.Equal(0, await Tenants.CountAsync(forger, "SELECT count(*) FROM workspaces"));
        Assert.Equal(0, await Tenants.CountAsync(forger, "SELECT count(*) FROM org_members"));
        var insert = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(forger,
            "INSERT INTO workspaces (org_id, slug, name) VALUES (@org, 'forged', 'Forged')", ("org", world.OrgB)));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
    }

    [Fact]
    public async Task Entering_an_organization_without_membership_is_refused()
    {
        var world = await TwoTenants.CreateAsync(Db);

        var error = await Assert.ThrowsAsync<PostgresException>(() => Tenants.OpenAsync(Db, world.OwnerA, world.OrgB));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        await using var own = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA); // positive control
        Assert.Equal(1, await Tenants.CountAsync(own, "SELECT count(*) FROM organizations"));
    }

    [Fact]
    public async Task A_removed_member_loses_access_on_the_next_connection()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using (var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA))
        {
            Assert.Equal(1, await Tenants.CountAsync(member, "SELECT count(*) FROM organizations"));
        }

        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            Assert.Equal(1, await Tenants.ExecuteAsync(owner, "DELETE FROM org_members WHERE user_id = @u", ("u", world.MemberA)));
        }

        var error = await Assert.ThrowsAsync<PostgresException>(() => Tenants.OpenAsync(Db, world.MemberA, world.OrgA));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task A_workspace_member_sees_only_their_workspaces_and_an_admin_sees_all()
    {
        var world = await TwoTenants.CreateAsync(Db);

        await using var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
        Assert.Equal(1, await Tenants.CountAsync(member, "SELECT count(*) FROM workspaces WHERE id = @w", ("w", world.GeneralA)));
        Assert.Equal(0, await Tenants.CountAsync(member, "SELECT count(*) FROM workspaces WHERE id = @w", ("w", world.SecondA)));
        Assert.Equal(1, await Tenants.CountAsync(member, "SELECT count(*) FROM workspaces"));
        Assert.Equal(0, await Tenants.ExecuteAsync(member, "UPDATE workspaces SET name = 'Mine' WHERE id = @w", ("w", world.SecondA)));

        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        Assert.Equal(2, await Tenants.CountAsync(owner, "SELECT count(*) FROM workspaces"));
    }

    [Fact]
    public async Task Members_and_viewers_cannot_change_workspaces_or_memberships()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);

        Assert.Equal(0, await Tenants.ExecuteAsync(member, "UPDATE workspaces SET name = 'Renamed' WHERE id = @w", ("w", world.GeneralA)));
        Assert.Equal(0, await Tenants.ExecuteAsync(member, "UPDATE org_members SET role = 'owner' WHERE user_id = @u", ("u", world.MemberA)));
        var insert = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(member,
            "INSERT INTO workspaces (org_id, slug, name) VALUES (@org, 'mine', 'Mine')", ("org", world.OrgA)));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
        Assert.Equal("member", await Sql.ScalarAsync<string>(Db.AdminConnectionString,
            "SELECT role FROM org_members WHERE user_id = @u", ("u", world.MemberA)));
    }

    [Fact]
    public async Task A_child_row_cannot_name_a_parent_of_another_organization()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var workspaceOfB = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @b LIMIT 1", ("b", world.OrgB));

        // As the superuser, so row-level security plays no part: the composite foreign key alone refuses it.
        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(Db.AdminConnectionString,
            "INSERT INTO workspace_members (org_id, workspace_id, user_id, role) VALUES (@a, @w, @u, 'member')",
            ("a", world.OrgA), ("w", workspaceOfB), ("u", world.OwnerA)));
        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);

        // Positive control: the same row with A's own workspace is accepted.
        Assert.Equal(1, await Sql.ExecuteAsync(Db.AdminConnectionString,
            "INSERT INTO workspace_members (org_id, workspace_id, user_id, role) VALUES (@a, @w, @u, 'member')",
            ("a", world.OrgA), ("w", world.SecondA), ("u", world.OwnerA)));
    }
}
