using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Workspaces;

public sealed class WorkspaceServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    [Fact]
    public async Task Owners_create_rename_archive_and_restore_workspaces()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.True((await owner.Workspaces.CreateAsync(" Design ", "design", "Pixels")).Succeeded);
        var design = (await owner.Workspaces.ListAsync()).Single(w => w.Slug == "design");
        Assert.Equal(("Design", "Pixels"), (design.Name, design.Description));
        Assert.Contains(owner.Session.Organizations.Single(o => o.Id == world.OrgA).Workspaces, w => w.Slug == "design");

        Assert.True((await owner.Workspaces.UpdateAsync(design.Id, "Design Studio", "studio", null)).Succeeded);
        Assert.True((await owner.Workspaces.SetArchivedAsync(design.Id, archived: true)).Succeeded);
        var archived = (await owner.Workspaces.ListAsync()).Single(w => w.Id == design.Id);
        Assert.Equal(("Design Studio", "studio"), (archived.Name, archived.Slug));
        Assert.NotNull(archived.ArchivedAt);
        Assert.DoesNotContain(owner.Session.Organizations.Single(o => o.Id == world.OrgA).Workspaces, w => w.Id == design.Id);

        Assert.True((await owner.Workspaces.SetArchivedAsync(design.Id, archived: false)).Succeeded);
        Assert.Null((await owner.Workspaces.ListAsync()).Single(w => w.Id == design.Id).ArchivedAt);
    }

    [Fact]
    public async Task A_duplicate_or_malformed_address_is_a_field_error()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var duplicate = await owner.Workspaces.CreateAsync("Another general", "general", null);
        var malformed = await owner.Workspaces.CreateAsync("Bad", "-bad-", null);

        Assert.Equal(("Slug", "That address is already taken; choose another."), (duplicate.Field, duplicate.Message));
        Assert.Equal("Slug", malformed.Field);
        Assert.Equal(2, (await owner.Workspaces.ListAsync()).Count);
    }

    [Fact]
    public async Task Members_cannot_change_workspaces_and_the_refusal_changes_nothing()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var member = await circuits.OpenAsync(world.MemberA);

        var create = await member.Workspaces.CreateAsync("Mine", "mine", null);
        var rename = await member.Workspaces.UpdateAsync(world.GeneralA, "Renamed", "general", null);
        var archive = await member.Workspaces.SetArchivedAsync(world.GeneralA, archived: true);

        Assert.All([create, rename, archive], r => Assert.False(r.Succeeded));
        Assert.Equal("General", await Sql.ScalarAsync<string>(fixture.Database.AdminConnectionString, "SELECT name FROM workspaces WHERE id = @w", ("w", world.GeneralA)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString, "SELECT count(*) FROM workspaces WHERE slug = 'mine'"));
        // The member sees only the workspace they belong to.
        Assert.Equal([world.GeneralA], (await member.Workspaces.ListAsync()).Select(w => w.Id));
    }

    [Fact]
    public async Task Owners_add_members_change_their_role_and_remove_them()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var candidates = await owner.Workspaces.CandidatesAsync(world.SecondA);
        Assert.Contains(candidates, c => c.UserId == world.MemberA);
        Assert.DoesNotContain(candidates, c => c.UserId == world.OwnerB);

        Assert.True((await owner.Workspaces.AddMemberAsync(world.SecondA, world.MemberA, "viewer")).Succeeded);
        Assert.Equal("viewer", (await owner.Workspaces.MembersAsync(world.SecondA)).Single().Role);
        Assert.True((await owner.Workspaces.ChangeRoleAsync(world.SecondA, world.MemberA, "admin")).Succeeded);
        Assert.Equal("admin", (await owner.Workspaces.MembersAsync(world.SecondA)).Single().Role);
        Assert.Equal("Role", (await owner.Workspaces.ChangeRoleAsync(world.SecondA, world.MemberA, "emperor")).Field);
        Assert.True((await owner.Workspaces.RemoveMemberAsync(world.SecondA, world.MemberA)).Succeeded);
        Assert.Empty(await owner.Workspaces.MembersAsync(world.SecondA));
    }

    [Fact]
    public async Task Someone_outside_the_organization_cannot_be_added_to_a_workspace()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var result = await owner.Workspaces.AddMemberAsync(world.SecondA, world.OwnerB, "member");

        Assert.Equal("Only members of the organization can join its workspaces.", result.Message);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString,
            "SELECT count(*) FROM workspace_members WHERE user_id = @u AND org_id = @o", ("u", world.OwnerB), ("o", world.OrgA)));
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
