using Npgsql;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.Projects;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Agents;

public sealed class AgentServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Owners_create_edit_and_change_agents_and_deleting_one_deletes_its_keys_with_one_event_each()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (created, id) = await owner.Agents.CreateAsync(world.ProjectA, new AgentInput
        {
            Name = "support-bot", DisplayName = " Support bot ", Model = "gpt-large", Temperature = 0.3m, MaxTokens = 4000, SystemPrompt = "Be kind.",
        });
        Assert.True(created.Succeeded, created.Message);
        var agent = (await owner.Agents.FindAsync(id!.Value))!;
        Assert.Equal(("Support bot", AgentStatus.Draft), (agent.DisplayName, agent.Status));
        var input = AgentInput.From(agent);
        Assert.Equal(("gpt-large", 0.3m, 4000, "Be kind."), (input.Model, input.Temperature, input.MaxTokens, input.SystemPrompt));

        input.Temperature = 1.5m;
        Assert.True((await owner.Agents.UpdateAsync(agent.Id, input)).Succeeded);
        Assert.True((await owner.Agents.SetStatusAsync(agent.Id, AgentStatus.Active)).Succeeded);
        Assert.Equal(["greeter", "support-bot"], (await owner.Agents.ListAsync(world.ProjectA)).Select(a => a.Name));
        Assert.Equal(["support-bot"], (await owner.Agents.ListAsync(world.ProjectA, search: "Support")).Select(a => a.Name));

        var (_, key) = await owner.Keys.CreateAsync(agent.Id, "support", [Capability.Communicate], null);
        var (_, second) = await owner.Keys.CreateAsync(agent.Id, "backup", [Capability.ReadProject], null);
        Assert.Equal(2, (await owner.Agents.ListAsync(world.ProjectA)).Single(a => a.Id == agent.Id).ActiveKeys);
        Assert.Equal("Confirmation", (await owner.Agents.DeleteAsync(agent.Id, "support")).Field);
        Assert.True((await owner.Agents.DeleteAsync(agent.Id, "support-bot")).Succeeded);
        Assert.Null(await owner.Verifier.VerifyAsync(key!.Key));
        Assert.Null(await owner.Verifier.VerifyAsync(second!.Key));

        var actions = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE org_id = @o AND (entity_id = @a OR entity_id = @k) ORDER BY seq", ("o", world.OrgA), ("a", agent.Id.ToString()), ("k", key.Id.ToString()));
        Assert.Equal(["agent_create", "agent_update", "agent_status_change", "api_key_create", "agent_delete", "api_key_delete"], actions);
        // The deletion is one event per key, not a revocation followed by a deletion.
        Assert.Equal(["api_key_create", "api_key_delete"], await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE org_id = @o AND entity_id = @k ORDER BY seq", ("o", world.OrgA), ("k", second.Id.ToString())));
    }

    public static TheoryData<string, string> BadNames => new()
    {
        { "", "Enter a name, such as support-bot." },
        { "Support", AgentInput.NameRule },
        { "1bot", AgentInput.NameRule },
        { "bot bot", AgentInput.NameRule },
        { new string('a', 64), AgentInput.NameRule },
        { "greeter", "An agent with this name already exists in the project; choose another." },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Bad_names_are_field_errors(string name, string message)
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (result, id) = await owner.Agents.CreateAsync(world.ProjectA, new AgentInput { Name = name, DisplayName = "Anything" });

        Assert.Equal(("Name", message), (result.Field, result.Message));
        Assert.Null(id);
    }

    [Fact]
    public async Task The_database_refuses_a_config_outside_its_ranges()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var connection = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        foreach (var config in new[] { """{"temperature": 2.5}""", """{"max_tokens": 0}""", """{"max_tokens": 1.5}""", """{"model": 7}""", "[]" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(connection,
                "UPDATE agents SET config = @c::jsonb WHERE id = @a", ("c", config), ("a", world.AgentA)));
            Assert.Equal("agents_config_valid", error.ConstraintName);
        }

        Assert.Equal(1, await Sql.ExecuteAsync(connection, """UPDATE agents SET config = '{"temperature": 2, "max_tokens": 200000, "extra": true}' WHERE id = @a""", ("a", world.AgentA)));
    }

    [Fact]
    public async Task Twenty_concurrent_creations_stop_at_the_plans_five_agents_per_project()
    {
        var world = await TwoTenants.CreateAsync(Db);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, $"agent-{i}");
                return "created";
            }
            catch (PostgresException ex)
            {
                return ex.MessageText;
            }
        }));

        Assert.Equal(4, attempts.Count(a => a == "created"));  // The scenario's greeter is the fifth.
        Assert.All(attempts.Where(a => a != "created"), a => Assert.Equal("plan_limit_agents|free|5", a));
        Assert.Equal(5L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM agents WHERE project_id = @p", ("p", world.ProjectA)));
    }

    [Fact]
    public async Task A_projects_own_agent_limit_is_named_when_reached()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var input = ProjectInput.From((await owner.Projects.FindAsync(world.ProjectA))!.Project);
        input.MaxAgents = 1;
        Assert.True((await owner.Projects.UpdateAsync(world.ProjectA, input)).Succeeded);

        var (result, _) = await owner.Agents.CreateAsync(world.ProjectA, new AgentInput { Name = "second", DisplayName = "Second" });

        Assert.StartsWith("This project allows 1 agent, and it has reached that.", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workspace_members_change_agents_but_neither_create_them_nor_issue_keys()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var member = await circuits.OpenAsync(world.MemberA);

        Assert.Equal(["greeter"], (await member.Agents.ListAsync(world.ProjectA)).Select(a => a.Name));
        var create = (await member.Agents.CreateAsync(world.ProjectA, new AgentInput { Name = "mine", DisplayName = "Mine" })).Result;
        var key = (await member.Keys.CreateAsync(world.AgentA, "mine", [Capability.Communicate], null)).Result;
        var delete = await member.Agents.DeleteAsync(world.AgentA, "greeter");
        var pause = await member.Agents.SetStatusAsync(world.AgentA, AgentStatus.Inactive);

        Assert.Equal([AgentService.ManagersRule, ApiKeyService.ManagersRule, AgentService.ManagersRule], new[] { create, key, delete }.Select(r => r.Message));
        Assert.True(pause.Succeeded, pause.Message);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM agents WHERE project_id = @p", ("p", world.ProjectA)));
        Assert.Equal("inactive", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT status FROM agents WHERE id = @a", ("a", world.AgentA)));
    }

    [Fact]
    public async Task Workspace_viewers_only_read_agents()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await Sql.ExecuteAsync(Db.AdminConnectionString, "UPDATE workspace_members SET role = 'viewer' WHERE user_id = @u", ("u", world.MemberA));
        await using var viewer = await circuits.OpenAsync(world.MemberA);

        Assert.Equal(["greeter"], (await viewer.Agents.ListAsync(world.ProjectA)).Select(a => a.Name));
        var pause = await viewer.Agents.SetStatusAsync(world.AgentA, AgentStatus.Inactive);

        Assert.Equal(AgentService.WorkersRule, pause.Message);
        Assert.Equal("active", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT status FROM agents WHERE id = @a", ("a", world.AgentA)));
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
