using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

public sealed class ContextTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Context_does_not_survive_the_return_of_a_connection_to_the_pool(bool autoPrepare)
    {
        // With prepared statements on the connection (the app auto-prepares), Npgsql's reset keeps them and runs
        // RESET ALL instead of DISCARD ALL: the context must be gone all the same.
        var world = await TwoTenants.CreateAsync(Db);
        var onePool = new NpgsqlConnectionStringBuilder(Db.AppConnectionString)
        {
            MaxPoolSize = 1, ApplicationName = $"pool-test-{autoPrepare}", MaxAutoPrepare = autoPrepare ? 10 : 0, AutoPrepareMinUsages = 2,
        }.ConnectionString;
        int firstPid;
        await using (var a = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA, onePool))
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.True(await Tenants.CountAsync(a, "SELECT count(*) FROM workspaces") > 0, "positive control: A's context sees its workspaces");
            }

            firstPid = a.ProcessID;
        }

        await using var reused = new NpgsqlConnection(onePool);
        await reused.OpenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(firstPid, reused.ProcessID); // the same physical connection came back from the pool
        Assert.Equal(autoPrepare, await Tenants.CountAsync(reused, "SELECT count(*) FROM pg_prepared_statements") > 0);
        Assert.Equal(0, await Tenants.CountAsync(reused, "SELECT count(*) FROM workspaces"));
        Assert.Equal(0, await Tenants.CountAsync(reused, "SELECT count(*) FROM organizations"));
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
