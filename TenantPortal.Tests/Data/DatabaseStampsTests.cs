using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Data;

/// <summary>What the database records by itself: when a row was changed, when a project or agent was last active, and where a row belongs.</summary>
public sealed class DatabaseStampsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Updated_at_is_the_time_of_the_change_and_no_caller_can_set_it()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        var before = await Sql.ScalarAsync<DateTime>(owner, "SELECT updated_at FROM projects WHERE id = @p", ("p", world.ProjectA));

        await using (var transaction = await owner.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await Tenants.ExecuteAsync(owner, "UPDATE projects SET name = 'Renamed', updated_at = '2000-01-01' WHERE id = @p", ("p", world.ProjectA));
            Assert.True(await Sql.ScalarAsync<bool>(owner, "SELECT updated_at = now() FROM projects WHERE id = @p", ("p", world.ProjectA)));
            await transaction.CommitAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(await Sql.ScalarAsync<DateTime>(owner, "SELECT updated_at FROM projects WHERE id = @p", ("p", world.ProjectA)) > before);
    }

    [Fact]
    public async Task Activity_in_a_project_moves_its_last_activity_without_counting_as_an_edit()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await Sql.ExecuteAsync(Db.AdminConnectionString, "SET session_replication_role = replica; UPDATE projects SET last_activity_at = NULL WHERE id = @p", ("p", world.ProjectA));
        var (updatedBefore, eventsBefore) = await ProjectStateAsync(world);

        // A new agent is activity in its project.
        await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, "scribe");

        Assert.NotNull(await Sql.ScalarAsync<DateTime?>(Db.AdminConnectionString, "SELECT last_activity_at FROM projects WHERE id = @p", ("p", world.ProjectA)));
        Assert.Equal((updatedBefore, eventsBefore), await ProjectStateAsync(world));
    }

    [Fact]
    public async Task A_key_in_use_marks_its_agent_active()
    {
        var world = await TwoTenants.CreateAsync(Db);
        // The scenario's agent has posted already; start it over as never seen.
        await Sql.ExecuteAsync(Db.AdminConnectionString, "UPDATE agents SET last_activity_at = NULL WHERE id = @a; UPDATE api_keys SET last_used_at = NULL WHERE agent_id = @a",
            ("a", world.AgentA));
        Assert.Null(await Sql.ScalarAsync<DateTime?>(Db.AdminConnectionString, "SELECT last_activity_at FROM agents WHERE id = @a", ("a", world.AgentA)));

        await using (var connection = new NpgsqlConnection(Db.AppConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            Assert.Equal(1, await Tenants.CountAsync(connection, "SELECT count(*) FROM app.enter_agent_context(@k, NULL, NULL)", ("k", world.KeyA)));
        }

        Assert.NotNull(await Sql.ScalarAsync<DateTime?>(Db.AdminConnectionString, "SELECT last_activity_at FROM agents WHERE id = @a", ("a", world.AgentA)));
    }

    [Theory]
    [InlineData("UPDATE agents SET project_id = @other WHERE id = @agent")]
    [InlineData("UPDATE api_keys SET project_id = @other WHERE agent_id = @agent")]
    public async Task Agents_and_keys_stay_in_the_project_they_were_made_in(string statement)
    {
        var world = await TwoTenants.CreateAsync(Db);
        var other = await Tenants.CreateProjectAsync(Db, world.OwnerA, world.OrgA, world.GeneralA, "other_site", "Other");
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);

        var error = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(owner, statement, ("other", other), ("agent", world.AgentA)));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        Assert.Equal(world.ProjectA, await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT project_id FROM agents WHERE id = @a", ("a", world.AgentA)));
        // Positive control: the same owner may change what is theirs to change.
        Assert.Equal(1, await Tenants.ExecuteAsync(owner, "UPDATE agents SET display_name = 'Moved nowhere' WHERE id = @agent", ("agent", world.AgentA)));
    }

    [Theory]
    [InlineData("UPDATE api_keys SET status = 'active' WHERE agent_id = @agent")]
    [InlineData("UPDATE api_keys SET status = 'active', revoked_at = NULL, revoke_reason = NULL WHERE agent_id = @agent")]
    [InlineData("UPDATE api_keys SET revoke_reason = 'Nothing happened' WHERE agent_id = @agent")]
    public async Task A_revoked_key_stays_revoked(string statement)
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        Assert.Equal(1, await Tenants.ExecuteAsync(owner,
            "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoke_reason = 'Leaked' WHERE agent_id = @agent", ("agent", world.AgentA)));

        var error = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(owner, statement, ("agent", world.AgentA)));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        Assert.Equal("revoked", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT status FROM api_keys WHERE agent_id = @a", ("a", world.AgentA)));
    }

    [Fact]
    public async Task Deleting_a_project_with_agents_and_keys_removes_them_all()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);

        Assert.Equal(1, await Tenants.ExecuteAsync(owner, "DELETE FROM projects WHERE id = @p", ("p", world.ProjectA)));

        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM agents WHERE project_id = @p", ("p", world.ProjectA)));
    }

    private async Task<(DateTime Updated, long Events)> ProjectStateAsync(TwoTenants world) => (
        await Sql.ScalarAsync<DateTime>(Db.AdminConnectionString, "SELECT updated_at FROM projects WHERE id = @p", ("p", world.ProjectA)),
        await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM audit_events WHERE entity_type = 'projects' AND entity_id = @p", ("p", world.ProjectA.ToString())));
}
