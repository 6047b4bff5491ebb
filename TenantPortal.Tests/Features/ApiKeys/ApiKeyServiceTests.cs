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
    public async Task A_keys_request_limit_is_set_when_it_is_created_changed_later_and_kept_by_a_roll()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.Equal("RateLimit", (await owner.Keys.CreateAsync(world.AgentA, "zero", [Capability.Communicate], null, 0)).Result.Field);
        var (result, created) = await owner.Keys.CreateAsync(world.AgentA, "limited", [Capability.Communicate], null, 120);
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(120, (await owner.Keys.ListAsync(world.ProjectA)).Single(k => k.Id == created!.Id).RateLimitPerMinute);
        Assert.Equal(ApiKey.DefaultRateLimit, (await owner.Keys.ListAsync(world.ProjectA)).Single(k => k.Name == "main").RateLimitPerMinute);

        Assert.Equal("RateLimit", (await owner.Keys.SetRateLimitAsync(created!.Id, ApiKey.MaxRateLimit + 1)).Field);
        Assert.True((await owner.Keys.SetRateLimitAsync(created.Id, 30)).Succeeded);
        var (rolled, replacement) = await owner.Keys.RollAsync(created.Id, TimeSpan.Zero);
        Assert.True(rolled.Succeeded, rolled.Message);
        Assert.Equal(30, (await owner.Keys.ListAsync(world.ProjectA)).Single(k => k.Id == replacement!.Id).RateLimitPerMinute);

        // A member of the workspace may not change it; the database agrees.
        await using var member = await circuits.OpenAsync(world.MemberA);
        Assert.False((await member.Keys.SetRateLimitAsync(replacement!.Id, 100_000)).Succeeded);
        Assert.Equal(30, await Sql.ScalarAsync<int>(Db.AdminConnectionString, "SELECT rate_limit_per_minute FROM api_keys WHERE id = @id", ("id", replacement.Id)));
        Assert.Equal(["api_key_update"], await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE entity_id = @id AND details -> 'changed' ? 'rate_limit_per_minute'", ("id", created.Id.ToString())));
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
    public async Task A_disabled_key_stops_verifying_until_enabled_again_and_both_are_on_record()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        await using var member = await circuits.OpenAsync(world.MemberA);
        var keyId = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM api_keys WHERE agent_id = @a", ("a", world.AgentA));

        Assert.False((await member.Keys.SetDisabledAsync(keyId, disable: true)).Succeeded); // a workspace member does not manage keys
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));
        Assert.True((await owner.Keys.SetDisabledAsync(keyId, disable: true)).Succeeded);
        Assert.Null(await owner.Verifier.VerifyAsync(world.KeyA));
        var again = await owner.Keys.SetDisabledAsync(keyId, disable: true);
        Assert.False(again.Succeeded);
        Assert.NotNull(again.Message);

        Assert.True((await owner.Keys.SetDisabledAsync(keyId, disable: false)).Succeeded);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));
        Assert.Equal(["api_key_disable", "api_key_enable"], await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE chain_key = @o AND entity_id = @k::text AND action LIKE 'api_key_%able' AND actor_id = @u ORDER BY seq",
            ("o", world.OrgA), ("k", keyId), ("u", world.OwnerA)));

        // A disabled key can be revoked, and a revoked key is never enabled again.
        Assert.True((await owner.Keys.SetDisabledAsync(keyId, disable: true)).Succeeded);
        Assert.True((await owner.Keys.RevokeAsync(keyId, "leaked in a log")).Succeeded);
        Assert.False((await owner.Keys.SetDisabledAsync(keyId, disable: false)).Succeeded);
        Assert.Null(await owner.Verifier.VerifyAsync(world.KeyA));
    }

    [Fact]
    public async Task Only_keys_of_active_agents_in_active_projects_verify()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));

        foreach (var status in new[] { AgentStatus.Draft, AgentStatus.Inactive, AgentStatus.Archived })
        {
            Assert.True((await owner.Agents.SetStatusAsync(world.AgentA, status)).Succeeded);
            Assert.Null(await owner.Verifier.VerifyAsync(world.KeyA));
        }

        Assert.True((await owner.Agents.SetStatusAsync(world.AgentA, AgentStatus.Active)).Succeeded);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));

        foreach (var status in new[] { ProjectStatus.Inactive, ProjectStatus.Suspended, ProjectStatus.Archived })
        {
            Assert.True((await owner.Projects.SetStatusAsync(world.ProjectA, status)).Succeeded);
            Assert.Null(await owner.Verifier.VerifyAsync(world.KeyA));
        }

        Assert.True((await owner.Projects.SetStatusAsync(world.ProjectA, ProjectStatus.Active)).Succeeded);
        Assert.NotNull(await owner.Verifier.VerifyAsync(world.KeyA));
    }

    [Fact]
    public async Task A_stored_hash_is_no_credential()
    {
        var world = await TwoTenants.CreateAsync(Db);
        // A member of the organization can read the stored hashes (until they leave the request role's reach).
        await using var member = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        var hash = await Sql.ScalarAsync<byte[]>(member, "SELECT key_hash FROM api_keys WHERE agent_id = @a", ("a", world.AgentA));
        Assert.Equal(ApiKeyFormat.Hash(world.KeyA), hash); // positive control: it is the key's hash

        await using var connection = new Npgsql.NpgsqlConnection(Db.AppConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        foreach (var credential in new[] { Convert.ToHexStringLower(hash!), "\\x" + Convert.ToHexStringLower(hash!), Convert.ToBase64String(hash!) })
        {
            Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM app.enter_agent_context(@k, NULL, NULL)", ("k", credential)));
        }

        Assert.Equal(1L, await Tenants.CountAsync(connection, "SELECT count(*) FROM app.enter_agent_context(@k, NULL, NULL)", ("k", world.KeyA)));
    }

    [Fact]
    public async Task The_key_and_its_capabilities_are_part_of_the_signed_context_and_of_the_agents_audit_events()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var keyId = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM api_keys WHERE agent_id = @a", ("a", world.AgentA));
        var capabilities = await Sql.ScalarAsync<string[]>(Db.AdminConnectionString, "SELECT capabilities FROM api_keys WHERE id = @k", ("k", keyId));
        await using var connection = new Npgsql.NpgsqlConnection(Db.AppConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await Sql.ExecuteAsync(connection, "SELECT * FROM app.enter_agent_context(@k, NULL, NULL)", ("k", world.KeyA));

        Assert.Equal(keyId, await Sql.ScalarAsync<Guid>(connection, "SELECT app.current_key_id()"));
        Assert.Equal(capabilities, await Sql.ScalarAsync<string[]>(connection, "SELECT app.current_capabilities()"));
        var seq = await Sql.ScalarAsync<long>(connection, "SELECT app.record_event('agent_probe')");
        Assert.Equal(keyId, await Sql.ScalarAsync<Guid>(Db.AdminConnectionString,
            "SELECT api_key_id FROM audit_events WHERE chain_key = @o AND seq = @s AND actor_type = 'agent' AND actor_id = @a",
            ("o", world.OrgA), ("s", seq), ("a", world.AgentA)));

        // Widening the capabilities by hand voids the whole context.
        await Sql.ExecuteAsync(connection, "SET app.current_capabilities = '{communicate,create_meetings,manage_decisions,read_project}'");
        Assert.Empty((await Sql.ScalarAsync<string[]>(connection, "SELECT app.current_capabilities()"))!);
        Assert.Null(await Sql.ScalarAsync<Guid?>(connection, "SELECT app.current_key_id()"));
        Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM projects"));
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
        Assert.Equal(world.ProjectA, await Sql.ScalarAsync<Guid>(connection, "SELECT project_id FROM app.enter_agent_context(@k, NULL, NULL)", ("k", world.KeyA)));

        foreach (var (table, column) in new[] { ("projects", "id"), ("agents", "project_id"), ("agent_messages", "project_id"), ("decisions", "project_id") })
        {
            Assert.Equal([world.ProjectA.ToString()], await ColumnAsync(connection, $"SELECT DISTINCT {column}::text FROM {table}"));
        }

        Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM api_keys"));  // Keys, its own included, are hidden from agents.

        Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM org_members"));  // No person's data either.
        // Another organization's key does not resolve here, and leaves no context behind.
        await Sql.ExecuteAsync(connection, "SELECT * FROM app.enter_agent_context(@k, NULL, NULL)", ("k", world.KeyB + "x"));
        Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM projects"));
        Assert.Equal(world.ProjectB, await Sql.ScalarAsync<Guid>(connection, "SELECT project_id FROM app.enter_agent_context(@k, NULL, NULL)", ("k", world.KeyB)));
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
