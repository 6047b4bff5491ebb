using TenantPortal.Features.Projects;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Plans;

public sealed class PlanServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Usage_counts_every_project_even_those_in_workspaces_the_caller_cannot_see()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await Tenants.CreateProjectAsync(Db, world.OwnerA, world.OrgA, world.SecondA, "research_bot", "Research bot");
        await using var member = await circuits.OpenAsync(world.MemberA);

        var usage = await member.Plans.UsageAsync();

        Assert.Equal(("free", "Free", 2L, 3), (usage!.PlanCode, usage.PlanName, usage.Projects, usage.MaxProjects));
        Assert.Equal((2L, 1L, 5, 5), (usage.Members, usage.PendingInvitations, usage.MaxMembers, usage.MaxAgentsPerProject));
        // Positive control for the visibility claim: the member's own list shows only the General workspace's project.
        Assert.Equal(1, (await member.Projects.PageAsync(new ProjectQuery())).Total);
    }

    [Fact]
    public async Task A_platform_admin_changes_plans_and_each_change_is_audited()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var admin = await Tenants.PlatformAdminAsync(Db);
        await using var staff = await circuits.OpenAsync(admin);

        Assert.Contains(await staff.Plans.OrganizationsAsync("acme"), o => o.Id == world.OrgA && o.PlanCode == "free");
        Assert.True((await staff.Plans.SetOrganizationPlanAsync(world.OrgA, "pro")).Succeeded);
        Assert.True((await staff.Plans.SetUserPlanAsync(world.OwnerA, "max")).Succeeded);

        Assert.Equal("pro", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT plan FROM organizations WHERE id = @o", ("o", world.OrgA)));
        Assert.Contains(await staff.Plans.UsersAsync("owner-a"), u => u.Id == world.OwnerA && u.PlanCode == "max");
        var platformEvents = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT entity_type || ':' || (details -> 'new' ->> 'plan') FROM audit_events WHERE chain_key = '00000000-0000-0000-0000-000000000000' AND action = 'plan_change' AND actor_id = @a ORDER BY seq",
            ("a", admin));
        Assert.Equal(["org:pro", "user:max"], platformEvents);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM audit_events WHERE org_id = @o AND action = 'org_update' AND details -> 'changed' ? 'plan'", ("o", world.OrgA)));

        // The new plan applies at once: Pro allows more than three projects.
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        foreach (var slug in new[] { "second", "third", "fourth" })
        {
            Assert.True((await owner.Projects.CreateAsync(new ProjectInput { Name = slug, Slug = slug })).Result.Succeeded);
        }
    }

    [Fact]
    public async Task Anyone_else_is_refused_and_nothing_changes()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var org = await owner.Plans.SetOrganizationPlanAsync(world.OrgA, "max");
        var user = await owner.Plans.SetUserPlanAsync(world.OwnerA, "max");
        var bad = await owner.Plans.SetUserPlanAsync(world.OwnerA, "platinum");

        Assert.All([org, user], r => Assert.Equal("Only platform admins change plans.", r.Message));
        Assert.Equal(("Plan", "Choose Free, Pro or Max."), (bad.Field, bad.Message));
        Assert.Equal("free", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT plan FROM organizations WHERE id = @o", ("o", world.OrgA)));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM user_subscriptions WHERE user_id = @u", ("u", world.OwnerA)));
        Assert.Empty(await owner.Plans.OrganizationsAsync(null));
        Assert.Empty(await owner.Plans.UsersAsync(null));
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
