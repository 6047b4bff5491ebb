using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.Projects;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.ApiKeys;

public sealed class ApiKeyServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task A_new_key_is_returned_once_verifies_and_is_stored_only_as_hash_prefix_and_last_four()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (result, created) = await owner.Keys.CreateAsync(world.AgentA, "deploy", [Capability.Communicate, Capability.ReadProject], null);

        Assert.True(result.Succeeded, result.Message);
        var key = created!.Key;
        Assert.True(ApiKeyFormat.TryParse(key, out _));
        var row = (await owner.Keys.ListAsync(world.ProjectA)).Single(k => k.Id == created.Id);
        Assert.Equal($"{key[..29]}_…{key[^4..]}", row.Display);
        Assert.Equal(("active", "greeter"), (row.Status, row.AgentName));

        var identity = await owner.Verifier.VerifyAsync(key);
        Assert.Equal((world.AgentA, world.ProjectA, world.OrgA), (identity!.AgentId, identity.ProjectId, identity.OrgId));
        Assert.Equal([Capability.Communicate, Capability.ReadProject], identity.Capabilities);

        // Neither the key nor its secret part is in any text column of any table, or in the log.
        var secret = key[30..^6];
        var everything = await Sql.ScalarAsync<string>(Db.AdminConnectionString, """
            SELECT string_agg(query_to_xml(format('SELECT * FROM %I.%I', table_schema, table_name), true, false, '')::text, ' ')
            FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            """);
        Assert.Contains("greeter", everything, StringComparison.Ordinal);  // Positive control: the scan reads the data.
        Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, circuits.Log.Text, StringComparison.Ordinal);
        Assert.Contains("api_keys", circuits.Log.Text, StringComparison.Ordinal);  // Positive control: the log holds the SQL.
    }

    [Fact]
    public async Task Revoked_expired_and_rolled_keys_stop_verifying_when_they_should()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var (_, expiring) = await owner.Keys.CreateAsync(world.AgentA, "expiring", [Capability.Communicate], circuits.Clock.GetUtcNow().AddHours(1));
        var (_, revoked) = await owner.Keys.CreateAsync(world.AgentA, "revoked", [Capability.Communicate], null);
        var (_, rolled) = await owner.Keys.CreateAsync(world.AgentA, "rolled", [Capability.Communicate], null);

        var noReason = await owner.Keys.RevokeAsync(revoked!.Id, " ");
        Assert.Equal("Reason", noReason.Field);
        Assert.NotNull(await owner.Verifier.VerifyAsync(revoked.Key));
        Assert.True((await owner.Keys.RevokeAsync(revoked.Id, "Leaked in a log")).Succeeded);
        Assert.Null(await owner.Verifier.VerifyAsync(revoked.Key));

        var (rollResult, replacement) = await owner.Keys.RollAsync(rolled!.Id, TimeSpan.FromHours(1));
        Assert.True(rollResult.Succeeded, rollResult.Message);
        var keys = await owner.Keys.ListAsync(world.ProjectA);
        Assert.Equal(2, keys.Count(k => k.Name == "rolled"));  // Both are listed, each with its own last use.
        Assert.Equal(replacement!.Id, keys.Single(k => k.Id == rolled.Id).ReplacedBy);

        circuits.Clock.Advance(TimeSpan.FromMinutes(30));
        Assert.NotNull(await owner.Verifier.VerifyAsync(expiring!.Key));
        Assert.NotNull(await owner.Verifier.VerifyAsync(rolled.Key));  // Inside the grace period.
        Assert.NotNull(await owner.Verifier.VerifyAsync(replacement.Key));

        circuits.Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Null(await owner.Verifier.VerifyAsync(expiring.Key));
        Assert.Null(await owner.Verifier.VerifyAsync(rolled.Key));  // Past the grace period.
        Assert.NotNull(await owner.Verifier.VerifyAsync(replacement.Key));
        var after = await owner.Keys.ListAsync(world.ProjectA);
        Assert.Equal(["expired", "revoked", "expired"], new[] { expiring.Id, revoked.Id, rolled.Id }.Select(id => after.Single(k => k.Id == id).Status));
        Assert.Equal("Leaked in a log", after.Single(k => k.Id == revoked.Id).RevokeReason);

        var actions = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE org_id = @o AND entity_type = 'api_keys' AND actor_id = @u ORDER BY seq", ("o", world.OrgA), ("u", world.OwnerA));
        // The scenario's own key first, then these three.
        Assert.Equal(["api_key_create", "api_key_create", "api_key_create", "api_key_create", "api_key_revoke", "api_key_roll", "api_key_create"], actions);
    }

    [Fact]
    public async Task Archived_agents_and_suspended_or_archived_projects_invalidate_their_keys()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));

        Assert.True((await owner.Agents.SetStatusAsync(world.AgentA, AgentStatus.Archived)).Succeeded);
        Assert.Null(await owner.Verifier.VerifyAsync(world.KeyA));
        Assert.True((await owner.Agents.SetStatusAsync(world.AgentA, AgentStatus.Active)).Succeeded);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));

        foreach (var status in new[] { ProjectStatus.Suspended, ProjectStatus.Archived })
        {
            Assert.True((await owner.Projects.SetStatusAsync(world.ProjectA, status)).Succeeded);
            Assert.Null(await owner.Verifier.VerifyAsync(world.KeyA));
        }

        Assert.True((await owner.Projects.SetStatusAsync(world.ProjectA, ProjectStatus.Inactive)).Succeeded);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));
    }

    [Fact]
    public async Task Use_is_noted_at_most_once_a_minute_and_is_not_an_audit_event()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var before = await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM audit_events WHERE org_id = @o", ("o", world.OrgA));
        // The database takes the later of this clock and its own now(): the steps below must be this clock's.
        circuits.Clock.MoveAheadOfRealTime(TimeSpan.FromMinutes(5));

        await owner.Verifier.VerifyAsync(world.KeyA);
        var first = await LastUsedAsync(world.OrgA);
        circuits.Clock.Advance(TimeSpan.FromSeconds(30));
        await owner.Verifier.VerifyAsync(world.KeyA);
        Assert.Equal(first, await LastUsedAsync(world.OrgA));
        circuits.Clock.Advance(TimeSpan.FromSeconds(31));
        await owner.Verifier.VerifyAsync(world.KeyA);

        Assert.NotNull(first);
        Assert.True(await LastUsedAsync(world.OrgA) > first);
        Assert.Equal(before, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM audit_events WHERE org_id = @o", ("o", world.OrgA)));
    }

    private Task<DateTime?> LastUsedAsync(Guid org) =>
        Sql.ScalarAsync<DateTime?>(Db.AdminConnectionString, "SELECT last_used_at FROM api_keys WHERE org_id = @o AND name = 'main'", ("o", org));

    [Fact]
    public async Task A_key_sees_only_its_own_project_even_in_the_same_workspace()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var siblingProject = await Tenants.CreateProjectAsync(Db, world.OwnerA, world.OrgA, world.GeneralA, "sibling", "Sibling");
        var siblingAgent = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, siblingProject, "helper");
        await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, siblingAgent, "main");

        await using var connection = new Npgsql.NpgsqlConnection(Db.AppConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        Assert.True(TenantPortal.Features.ApiKeys.ApiKeyFormat.TryParse(world.KeyA, out var parsed));
        Assert.Equal(world.ProjectA, await Sql.ScalarAsync<Guid>(connection, "SELECT project_id FROM app.enter_agent_context(@h, NULL, NULL)", ("h", parsed.Hash)));

        foreach (var (table, column) in new[] { ("projects", "id"), ("agents", "project_id"), ("api_keys", "project_id") })
        {
            Assert.Equal([world.ProjectA.ToString()], await ColumnAsync(connection, $"SELECT DISTINCT {column}::text FROM {table}"));
        }

        Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM org_members"));  // No person's data either.
        // Another organization's key does not resolve here, and leaves no context behind.
        Assert.True(TenantPortal.Features.ApiKeys.ApiKeyFormat.TryParse(world.KeyB, out var other));
        await Sql.ExecuteAsync(connection, "SELECT * FROM app.enter_agent_context(@h, NULL, NULL)", ("h", ApiKeyFormat.Hash(world.KeyB + "x")));
        Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM projects"));
        Assert.Equal(world.ProjectB, await Sql.ScalarAsync<Guid>(connection, "SELECT project_id FROM app.enter_agent_context(@h, NULL, NULL)", ("h", other.Hash)));
        Assert.Equal([world.ProjectB.ToString()], await ColumnAsync(connection, "SELECT id::text FROM projects"));
    }

    private static async Task<List<string>> ColumnAsync(Npgsql.NpgsqlConnection connection, string sql)
    {
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
