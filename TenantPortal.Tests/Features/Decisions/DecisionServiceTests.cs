using TenantPortal.Features.Decisions;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Decisions;

public sealed class DecisionServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Pending_decisions_come_first_and_a_decision_shows_who_decided_what_and_why()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var later = await Tenants.ProposeDecisionAsync(Db, world.KeyA, "Rename the bucket?", "rename", "keep");
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.True((await owner.Decisions.RejectAsync(later, "  The bucket name is in customer scripts.  ")).Succeeded);

        var list = await owner.Decisions.ListAsync(world.ProjectA);
        Assert.Equal(["Ship the release?", "Rename the bucket?"], list.Select(d => d.Title));
        var rejected = list[1];
        Assert.Equal((DecisionStatus.Rejected, "The bucket name is in customer scripts.", "greeter", "main"),
            (rejected.Status, rejected.Rationale, rejected.AgentName, rejected.KeyName));
        Assert.NotNull(rejected.DecidedBy);
        Assert.NotNull(rejected.DecidedAt);
    }

    [Fact]
    public async Task Bad_decisions_name_the_field_and_change_nothing()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var decision = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM decisions WHERE org_id = @a", ("a", world.OrgA));
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.Equal("Rationale", (await owner.Decisions.RejectAsync(decision, "   ")).Field);
        Assert.Equal("Rationale", (await owner.Decisions.ApproveAsync(decision, "ship", new string('r', 2001))).Field);
        Assert.Equal("Option", (await owner.Decisions.ApproveAsync(decision, "launch", null)).Field);
        Assert.False((await owner.Decisions.ApproveAsync(Guid.NewGuid(), "ship", null)).Succeeded);

        // A member of the workspace sees it but does not decide; the database agrees.
        await using var member = await circuits.OpenAsync(world.MemberA);
        Assert.Contains(await member.Decisions.ListAsync(world.ProjectA), d => d.Id == decision);
        Assert.Equal(DecisionService.DecidersRule, (await member.Decisions.ApproveAsync(decision, "ship", null)).Message);
        await using (var connection = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA))
        {
            Assert.Equal(0, await Sql.ExecuteAsync(connection,
                "UPDATE decisions SET status = 'approved', chosen_option = 'ship' WHERE id = @id", ("id", decision)));
        }

        Assert.Equal("pending", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT status FROM decisions WHERE id = @id", ("id", decision)));
        Assert.True((await owner.Decisions.ApproveAsync(decision, "ship", null)).Succeeded); // positive control
    }

    [Fact]
    public async Task Two_people_deciding_at_the_same_moment_record_exactly_one_outcome()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var admin = await Tenants.CreateUserAsync(Db, $"admin-{Guid.NewGuid():N}@example.com");
        await Tenants.AddMemberAsync(Db, world.OwnerA, world.OrgA, admin, OrgRole.Admin);
        for (var round = 0; round < 5; round++)
        {
            var decision = await Tenants.ProposeDecisionAsync(Db, world.KeyA, $"Round {round}?", "yes", "no");
            await using var first = await circuits.OpenAsync(world.OwnerA);
            await using var second = await circuits.OpenAsync(admin);

            var results = await Task.WhenAll(
                first.Decisions.ApproveAsync(decision, "yes", "Go."),
                second.Decisions.RejectAsync(decision, "Not now."));

            Assert.Single(results, r => r.Succeeded);
            Assert.Single(results, r => r.Message == DecisionService.AlreadyDecided);
            Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
                "SELECT count(*) FROM audit_events WHERE entity_id = @id AND action IN ('decision_approve', 'decision_reject')", ("id", decision.ToString())));
        }
    }

    [Fact]
    public async Task A_person_who_decided_can_still_be_deleted_and_the_outcome_stays()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var admin = await Tenants.CreateUserAsync(Db, $"leaving-{Guid.NewGuid():N}@example.com");
        await Tenants.AddMemberAsync(Db, world.OwnerA, world.OrgA, admin, OrgRole.Admin);
        var decision = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM decisions WHERE org_id = @a", ("a", world.OrgA));
        await using (var circuit = await circuits.OpenAsync(admin))
        {
            Assert.True((await circuit.Decisions.ApproveAsync(decision, "ship", "Go.")).Succeeded);
        }

        Assert.Equal(1, await Sql.ExecuteAsync(Db.AdminConnectionString, "DELETE FROM users WHERE id = @u", ("u", admin)));

        Assert.Equal("approved|ship|", await Sql.ScalarAsync<string>(Db.AdminConnectionString,
            "SELECT concat_ws('|', status, chosen_option, coalesce(decided_by::text, '')) FROM decisions WHERE id = @id", ("id", decision)));
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
