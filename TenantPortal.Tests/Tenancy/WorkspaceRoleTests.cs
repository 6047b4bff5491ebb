using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

/// <summary>
/// Workspace roles enforced by row-level security alone (raw SQL as portal_app, no service in between): admins of a
/// workspace manage its projects, agents and keys, members edit its agents, viewers read, and nothing carries over to
/// another workspace or past an organization viewer's role.
/// </summary>
public sealed class WorkspaceRoleTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    private const string NewProject = "INSERT INTO projects (org_id, workspace_id, slug, name) VALUES (@o, @w, @s, 'New')";

    [Fact]
    public async Task A_workspace_admin_manages_projects_in_that_workspace_and_in_no_other()
    {
        var world = await TwoTenants.CreateAsync(Db);
        // MemberA: admin of General, member of Research.
        await SetWorkspaceRoleAsync(world.MemberA, world.GeneralA, "admin");
        await Tenants.AddMemberAsync(Db, world.OwnerA, world.OrgA, world.MemberA, "member", world.SecondA, "member");
        await using var admin = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);

        Assert.Equal(1, await Tenants.ExecuteAsync(admin, NewProject, ("o", world.OrgA), ("w", world.GeneralA), ("s", "admins_own")));
        Assert.Equal(1, await Tenants.ExecuteAsync(admin, "UPDATE projects SET name = 'Edited' WHERE id = @p", ("p", world.ProjectA)));
        var elsewhere = await Assert.ThrowsAsync<PostgresException>(() =>
            Tenants.ExecuteAsync(admin, NewProject, ("o", world.OrgA), ("w", world.SecondA), ("s", "not_theirs")));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, elsewhere.SqlState);
        Assert.Equal(1, await Tenants.ExecuteAsync(admin, "DELETE FROM projects WHERE slug = 'admins_own' AND org_id = @o", ("o", world.OrgA)));
    }

    [Fact]
    public async Task A_workspace_member_edits_agents_but_creates_deletes_and_keys_nothing()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);

        Assert.Equal(1, await Tenants.ExecuteAsync(member, "UPDATE agents SET display_name = 'Tuned' WHERE id = @a", ("a", world.AgentA)));
        Assert.Equal(0, await Tenants.ExecuteAsync(member, "UPDATE api_keys SET status = 'disabled' WHERE agent_id = @a", ("a", world.AgentA)));
        Assert.Equal(0, await Tenants.ExecuteAsync(member, "DELETE FROM agents WHERE id = @a", ("a", world.AgentA)));
        Assert.Equal(0, await Tenants.ExecuteAsync(member, "UPDATE projects SET name = 'Mine' WHERE id = @p", ("p", world.ProjectA)));
        var insert = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(member,
            "INSERT INTO agents (org_id, workspace_id, project_id, name, display_name) VALUES (@o, @w, @p, 'sneaky', 'Sneaky')",
            ("o", world.OrgA), ("w", world.GeneralA), ("p", world.ProjectA)));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM api_keys WHERE agent_id = @a AND status = 'active'", ("a", world.AgentA)));
    }

    [Theory]
    [InlineData("member", "viewer")]
    [InlineData("viewer", "admin")]
    public async Task Viewers_change_nothing_whatever_their_workspace_role(string orgRole, string workspaceRole)
    {
        var world = await TwoTenants.CreateAsync(Db);
        await Sql.ExecuteAsync(Db.AdminConnectionString, "UPDATE org_members SET role = @r WHERE user_id = @u", ("r", orgRole), ("u", world.MemberA));
        await SetWorkspaceRoleAsync(world.MemberA, world.GeneralA, workspaceRole);
        await using var viewer = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);

        Assert.Equal(1, await Tenants.CountAsync(viewer, "SELECT count(*) FROM agents WHERE id = @a", ("a", world.AgentA))); // they read
        Assert.Equal(0, await Tenants.ExecuteAsync(viewer, "UPDATE agents SET display_name = 'Tuned' WHERE id = @a", ("a", world.AgentA)));
        var insert = await Assert.ThrowsAsync<PostgresException>(() =>
            Tenants.ExecuteAsync(viewer, NewProject, ("o", world.OrgA), ("w", world.GeneralA), ("s", "viewers_own")));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
    }

    [Fact]
    public async Task Organization_owners_manage_a_workspace_they_created_a_moment_ago()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);

        // One connection, so the context was entered before the workspace existed.
        var workspace = await Sql.ScalarAsync<Guid>(owner, "INSERT INTO workspaces (org_id, slug, name) VALUES (@o, 'fresh', 'Fresh') RETURNING id", ("o", world.OrgA));

        Assert.Equal(1, await Tenants.ExecuteAsync(owner, NewProject, ("o", world.OrgA), ("w", workspace), ("s", "fresh_start")));
    }

    [Fact]
    public async Task A_new_workspace_role_counts_from_the_next_connection()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using (var before = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA))
        {
            await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(before, NewProject, ("o", world.OrgA), ("w", world.GeneralA), ("s", "too_early")));
        }

        await SetWorkspaceRoleAsync(world.MemberA, world.GeneralA, "admin");

        await using var after = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
        Assert.Equal(1, await Tenants.ExecuteAsync(after, NewProject, ("o", world.OrgA), ("w", world.GeneralA), ("s", "just_in_time")));
    }

    private Task<int> SetWorkspaceRoleAsync(Guid user, Guid workspace, string role) => Sql.ExecuteAsync(Db.AdminConnectionString,
        "UPDATE workspace_members SET role = @r WHERE user_id = @u AND workspace_id = @w", ("r", role), ("u", user), ("w", workspace));
}
