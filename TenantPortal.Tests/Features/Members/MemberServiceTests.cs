using Npgsql;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Members;

public sealed class MemberServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    private Task<string?> RoleAsync(Guid org, Guid user) =>
        Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT role FROM org_members WHERE org_id = @o AND user_id = @u", ("o", org), ("u", user));

    [Fact]
    public async Task Owners_list_members_change_roles_and_remove_members()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var members = await owner.Members.ListAsync();
        Assert.Equal([OrgRole.Owner, OrgRole.Member], members.Select(m => m.Role));
        Assert.All(members, m => Assert.Equal("active", m.Status));

        Assert.True((await owner.Members.ChangeRoleAsync(world.MemberA, OrgRole.Admin)).Succeeded);
        Assert.Equal(OrgRole.Admin, await RoleAsync(world.OrgA, world.MemberA));
        Assert.True((await owner.Members.RemoveAsync(world.MemberA)).Succeeded);
        Assert.Null(await RoleAsync(world.OrgA, world.MemberA));
        // Their workspace memberships went with them.
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM workspace_members WHERE org_id = @o AND user_id = @u", ("o", world.OrgA), ("u", world.MemberA)));
        Assert.Equal(["member_role_change", "member_remove", "permission_revoke"], (await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE org_id = @o AND entity_type IN ('org_members', 'workspace_members') AND action <> 'member_add' AND action <> 'permission_grant' ORDER BY seq",
            ("o", world.OrgA))));
    }

    [Fact]
    public async Task Admins_cannot_touch_owners_in_the_service_or_in_the_database()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using (var owner = await circuits.OpenAsync(world.OwnerA))
        {
            Assert.True((await owner.Members.ChangeRoleAsync(world.MemberA, OrgRole.Admin)).Succeeded);
        }

        await using var admin = await circuits.OpenAsync(world.MemberA);
        var demote = await admin.Members.ChangeRoleAsync(world.OwnerA, OrgRole.Viewer);
        var remove = await admin.Members.RemoveAsync(world.OwnerA);
        var promote = await admin.Members.ChangeRoleAsync(world.MemberA, OrgRole.Owner);
        Assert.All([demote, remove, promote], r => Assert.Equal("Only an owner can change an owner or make someone an owner.", r.Message));

        // Straight to the database, past the service: the policies hide owners' rows from an admin's writes.
        await using var connection = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
        Assert.Equal(0, await Tenants.ExecuteAsync(connection, "UPDATE org_members SET role = 'viewer' WHERE user_id = @u", ("u", world.OwnerA)));
        Assert.Equal(0, await Tenants.ExecuteAsync(connection, "DELETE FROM org_members WHERE user_id = @u", ("u", world.OwnerA)));
        var selfPromotion = await Assert.ThrowsAsync<PostgresException>(() =>
            Tenants.ExecuteAsync(connection, "UPDATE org_members SET role = 'owner' WHERE user_id = @u", ("u", world.MemberA)));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, selfPromotion.SqlState);
        Assert.Equal((OrgRole.Owner, OrgRole.Admin), (await RoleAsync(world.OrgA, world.OwnerA), await RoleAsync(world.OrgA, world.MemberA)));
        // Positive control: the admin does change a non-owner.
        Assert.Equal(1, await Tenants.ExecuteAsync(connection, "UPDATE org_members SET role = 'admin' WHERE user_id = @u", ("u", world.MemberA)));
    }

    [Fact]
    public async Task The_last_owner_cannot_be_demoted_removed_or_leave()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var demote = await owner.Members.ChangeRoleAsync(world.OwnerA, OrgRole.Admin);
        var leave = await owner.Members.LeaveAsync();
        Assert.All([demote, leave], r => Assert.Equal("An organization always needs an owner. Make another member an owner first.", r.Message));
        Assert.Equal(OrgRole.Owner, await RoleAsync(world.OrgA, world.OwnerA));
        Assert.Equal(world.OrgA, owner.Tenant.OrgId);

        // With a second owner, the first may step down and then leave.
        Assert.True((await owner.Members.ChangeRoleAsync(world.MemberA, OrgRole.Owner)).Succeeded);
        Assert.True((await owner.Members.ChangeRoleAsync(world.OwnerA, OrgRole.Admin)).Succeeded);
        Assert.Equal(OrgRole.Admin, owner.Tenant.OrgRole);
        Assert.True((await owner.Members.LeaveAsync()).Succeeded);
        Assert.Null(await RoleAsync(world.OrgA, world.OwnerA));
        Assert.NotEqual(world.OrgA, owner.Tenant.OrgId);
    }

    [Fact]
    public async Task Concurrent_demotions_of_two_owners_leave_one_owner()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using (var owner = await circuits.OpenAsync(world.OwnerA))
        {
            Assert.True((await owner.Members.ChangeRoleAsync(world.MemberA, OrgRole.Owner)).Succeeded);
        }

        for (var round = 0; round < 10; round++)
        {
            // Each owner demotes the other at the same moment, on separate connections.
            await using var first = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
            await using var second = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
            var outcomes = await Task.WhenAll(
                DemoteAsync(first, world.MemberA),
                DemoteAsync(second, world.OwnerA));

            Assert.Equal(1, outcomes.Count(o => o == "demoted"));
            Assert.Equal(1, outcomes.Count(o => o == "last_owner"));
            Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
                "SELECT count(*) FROM org_members WHERE org_id = @o AND role = 'owner' AND status = 'active'", ("o", world.OrgA)));

            // Restore two owners for the next round (as the remaining owner).
            var remaining = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT user_id FROM org_members WHERE org_id = @o AND role = 'owner'", ("o", world.OrgA));
            await using var restore = await Tenants.OpenAsync(Db, remaining, world.OrgA);
            await Tenants.ExecuteAsync(restore, "UPDATE org_members SET role = 'owner' WHERE org_id = @o", ("o", world.OrgA));
        }
    }

    private static async Task<string> DemoteAsync(NpgsqlConnection connection, Guid user)
    {
        try
        {
            var changed = await Tenants.ExecuteAsync(connection, "UPDATE org_members SET role = 'admin' WHERE user_id = @u", ("u", user));
            return changed == 1 ? "demoted" : $"{changed} rows";
        }
        catch (PostgresException ex)
        {
            return ex.MessageText;
        }
    }

    [Fact]
    public async Task A_member_leaves_and_loses_access_at_once()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var member = await circuits.OpenAsync(world.MemberA);
        Assert.Equal(world.OrgA, member.Tenant.OrgId);

        Assert.True((await member.Members.LeaveAsync()).Succeeded);

        Assert.Null(member.Tenant.OrgId);
        Assert.Empty(member.Session.Organizations);
        Assert.Null(await RoleAsync(world.OrgA, world.MemberA));
        await Assert.ThrowsAsync<PostgresException>(() => Tenants.OpenAsync(Db, world.MemberA, world.OrgA));
    }

    [Fact]
    public async Task A_suspended_member_loses_access_at_once_and_gets_it_back_when_reactivated()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.True((await owner.Members.SetStatusAsync(world.MemberA, suspended: true)).Succeeded);
        Assert.Equal("suspended", (await owner.Members.ListAsync()).Single(m => m.UserId == world.MemberA).Status);
        await Assert.ThrowsAsync<PostgresException>(() => Tenants.OpenAsync(Db, world.MemberA, world.OrgA));
        await using (var member = await circuits.OpenAsync(world.MemberA))
        {
            Assert.Null(member.Tenant.OrgId);
        }

        Assert.True((await owner.Members.SetStatusAsync(world.MemberA, suspended: false)).Succeeded);
        await using var back = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
        Assert.Equal(OrgRole.Member, await Sql.ScalarAsync<string>(back, "SELECT app.current_org_role()"));

        // The only owner cannot be suspended, not even straight in the database.
        Assert.Equal("You cannot suspend yourself; leave the organization instead.", (await owner.Members.SetStatusAsync(world.OwnerA, suspended: true)).Message);
        await using var connection = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            Tenants.ExecuteAsync(connection, "UPDATE org_members SET status = 'suspended' WHERE user_id = @u", ("u", world.OwnerA)));
        Assert.Equal("last_owner", error.MessageText);
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
