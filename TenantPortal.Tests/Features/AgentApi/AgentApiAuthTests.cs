using System.Net;
using Npgsql;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>Who may call the agent API, over real HTTP: the key's agent, in its project, with its key's capabilities.</summary>
public sealed class AgentApiAuthTests(ApiApp api) : IClassFixture<ApiApp>
{
    private TestDatabase Db => api.Database;

    [Fact]
    public async Task Me_and_project_describe_the_key_its_agent_and_the_agents_to_address()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var scribe = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, "scribe");
        var reader = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, scribe, "reader", Capability.ReadProject);
        using var greeter = api.Client(world.KeyA);

        var me = await Api.BodyAsync(await greeter.GetAsync("api/v1/me", TestContext.Current.CancellationToken));

        Assert.Equal("greeter", me.GetProperty("agent").GetProperty("name").GetString());
        Assert.Equal(world.AgentA, me.GetProperty("agent").GetProperty("id").GetGuid());
        Assert.Equal((world.ProjectA, "website"), (me.GetProperty("project").GetProperty("id").GetGuid(), me.GetProperty("project").GetProperty("slug").GetString()));
        Assert.Equal(world.OrgA, me.GetProperty("organizationId").GetGuid());
        Assert.Equal(["communicate", "manage_decisions", "create_meetings"], me.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(world.KeyA[..29], me.GetProperty("key").GetProperty("prefix").GetString());
        Assert.Equal(world.KeyA[^4..], me.GetProperty("key").GetProperty("lastFour").GetString());

        // The directory needs read_project, which the greeter's key lacks; the scribe's key has it.
        var refused = await Api.ProblemAsync(await greeter.GetAsync("api/v1/project", TestContext.Current.CancellationToken), 403, "missing-capability");
        Assert.Equal("read_project", refused.GetProperty("capability").GetString());
        using var scribeClient = api.Client(reader);
        var project = await Api.BodyAsync(await scribeClient.GetAsync("api/v1/project", TestContext.Current.CancellationToken));
        Assert.Equal("website", project.GetProperty("slug").GetString());
        Assert.Equal(["greeter", "scribe"], project.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Every_unusable_key_gets_the_same_401_with_a_bearer_challenge()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var hash = Convert.ToHexString(ApiKeyFormat.Hash(world.KeyA)).ToLowerInvariant();
        var unknown = ApiKeyFormat.Generate(world.ProjectA, world.AgentA).Key;
        var tampered = world.KeyA[..^1] + (world.KeyA[^1] == 'a' ? 'b' : 'a');
        var attempts = new (string Name, Action<HttpRequestMessage> Authorize)[]
        {
            ("no header", _ => { }),
            ("empty bearer", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer ")),
            ("basic scheme", r => r.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String("a:b"u8.ToArray()))),
            ("malformed", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer not-a-key")),
            ("bad checksum", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + tampered)),
            ("unknown key", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + unknown)),
            ("the stored hash", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + hash)),
            ("two headers", r => { r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + world.KeyA); r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + world.KeyA); }),
            ("a huge header", r => r.Headers.TryAddWithoutValidation("Authorization", "Bearer " + new string('x', 16_000))),
        };

        using var client = api.Client();
        var bodies = new HashSet<string>();
        foreach (var (name, authorize) in attempts)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/me");
            authorize(request);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{name}: {response.StatusCode}");
            Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
            await Api.ProblemAsync(response, 401, "invalid-token");
            bodies.Add(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.Single(bodies); // nothing tells one cause from another
        Assert.Contains("'Authorization: Bearer <key>'", bodies.Single(), StringComparison.Ordinal); // readable as sent, not \u0027-escaped

        // Positive control: the key itself works.
        using var good = api.Client(world.KeyA);
        Assert.Equal(HttpStatusCode.OK, (await good.GetAsync("api/v1/me", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Theory]
    [InlineData("revoked", "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoke_reason = 'leaked' WHERE id = @key")]
    [InlineData("disabled", "UPDATE api_keys SET status = 'disabled' WHERE id = @key")]
    [InlineData("expired", "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = @key")]
    [InlineData("agent inactive", "UPDATE agents SET status = 'inactive' WHERE id = @agent")]
    [InlineData("agent archived", "UPDATE agents SET status = 'archived' WHERE id = @agent")]
    [InlineData("project suspended", "UPDATE projects SET status = 'suspended' WHERE id = @project")]
    [InlineData("project archived", "UPDATE projects SET status = 'archived' WHERE id = @project")]
    public async Task A_key_that_stops_being_usable_between_two_requests_gets_401_on_the_second(string cause, string change)
    {
        var world = await TwoTenants.CreateAsync(Db);
        var agent = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, "worker");
        var key = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, agent, "worker", Capability.Communicate);
        var keyId = await KeyIdAsync(key);
        using var client = api.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("api/v1/me", TestContext.Current.CancellationToken)).StatusCode);

        await Sql.ExecuteAsync(Db.AdminConnectionString, change, ("key", keyId), ("agent", agent), ("project", world.ProjectA));

        using var refused = await client.PostAsync("api/v1/messages", Api.Json(new { messageType = "note", content = "still here?" }),
            TestContext.Current.CancellationToken);
        await Api.ProblemAsync(refused, 401, "invalid-token");
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM agent_messages WHERE agent_id = @a", ("a", agent)));
        Assert.False(string.IsNullOrEmpty(cause));
    }

    [Fact]
    public async Task A_key_without_communicate_gets_403_and_the_database_refuses_the_same_insert()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var reader = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, world.AgentA, "reader", Capability.ReadProject);
        using var client = api.Client(reader);

        using var response = await client.PostAsync("api/v1/messages", Api.Json(new { messageType = "note", content = "hello" }), TestContext.Current.CancellationToken);

        var problem = await Api.ProblemAsync(response, 403, "missing-capability");
        Assert.Equal("communicate", problem.GetProperty("capability").GetString());
        Assert.Contains("communicate", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await Api.ProblemAsync(await client.GetAsync("api/v1/decisions", TestContext.Current.CancellationToken), 403, "missing-capability");

        // The database itself refuses the write in that key's context, and reads nothing there.
        const string Insert = """
            INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content)
            SELECT a.org_id, a.workspace_id, a.project_id, a.id, app.current_key_id(), 'note', 'by hand'
            FROM agents a WHERE a.id = app.current_actor_id()
            """;
        await using (var connection = await Tenants.OpenAgentAsync(Db, reader))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(connection, Insert));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM agent_messages"));
            Assert.Equal(0L, await Tenants.CountAsync(connection, "SELECT count(*) FROM decisions"));
        }

        // Positive control: with communicate, the same statement goes in, and the agent reads its project's messages.
        await using var allowed = await Tenants.OpenAgentAsync(Db, world.KeyA);
        Assert.Equal(1, await Sql.ExecuteAsync(allowed, Insert));
        Assert.Equal(2L, await Tenants.CountAsync(allowed, "SELECT count(*) FROM agent_messages"));
    }

    [Fact]
    public async Task An_agent_writes_nothing_but_its_own_projects_agent_side()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var agent = await Tenants.OpenAgentAsync(Db, world.KeyA);
        var attempts = new Dictionary<string, string>
        {
            ["add a member"] = $"INSERT INTO org_members (org_id, user_id, role) VALUES ('{world.OrgA}', '{world.MemberA}', 'admin')",
            ["change a member"] = "UPDATE org_members SET role = 'owner'",
            ["change its key"] = "UPDATE api_keys SET capabilities = '{communicate,manage_decisions,read_project,create_meetings}'",
            ["issue a key"] = $"INSERT INTO api_keys (org_id, workspace_id, project_id, agent_id, name, key_hash, prefix, last_four, capabilities) SELECT org_id, workspace_id, project_id, id, 'mine', sha256('x'), 'sk_agent_v1_00000000_00000000', 'abcd', '{{communicate}}' FROM agents",
            ["change the project"] = "UPDATE projects SET status = 'active', name = 'Mine'",
            ["change an agent"] = "UPDATE agents SET status = 'active', display_name = 'Boss'",
            ["create an agent"] = $"INSERT INTO agents (org_id, workspace_id, project_id, name, display_name) SELECT org_id, workspace_id, id, 'clone', 'Clone' FROM projects",
            ["decide a decision"] = "UPDATE decisions SET status = 'approved', chosen_option = 'ship'",
            ["delete a message"] = "DELETE FROM agent_messages",
            ["post as another agent"] = $"INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content) SELECT org_id, workspace_id, project_id, '{Guid.NewGuid()}', app.current_key_id(), 'note', 'x' FROM agents",
            ["post into another project"] = $"INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content) VALUES ('{world.OrgA}', '{world.SecondA}', '{Guid.NewGuid()}', app.current_actor_id(), app.current_key_id(), 'note', 'x')",
        };
        var changed = new List<string>();
        foreach (var (name, sql) in attempts)
        {
            await using var transaction = await agent.BeginTransactionAsync(TestContext.Current.CancellationToken);
            try
            {
                if (await Sql.ExecuteAsync(agent, sql) > 0)
                {
                    changed.Add(name);
                }
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ForeignKeyViolation)
            {
                // refused
            }

            await transaction.RollbackAsync(TestContext.Current.CancellationToken);
        }

        Assert.Empty(changed);
        // Positive control: agents see rows in the tables above, so a zero is a refusal, not an empty table.
        Assert.Equal(1L, await Tenants.CountAsync(agent, "SELECT count(*) FROM decisions"));
        Assert.Equal(0L, await Tenants.CountAsync(agent, "SELECT count(*) FROM api_keys")); // keys are hidden from agents
        Assert.Equal(1L, await Tenants.CountAsync(agent, "SELECT count(*) FROM projects"));
    }

    [Fact]
    public async Task An_agent_cannot_insert_an_outcome_an_id_a_time_or_a_place_in_another_projects_feed()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var (docs, _, docsKey) = await world.SiblingProjectAsync(Db, Capability.Communicate);
        await using var agent = await Tenants.OpenAgentAsync(Db, world.KeyA);
        var forged = new Dictionary<string, string>
        {
            ["an approved decision"] = $"INSERT INTO decisions (org_id, workspace_id, project_id, agent_id, api_key_id, title, options, status, chosen_option, decided_by, decided_at) SELECT org_id, workspace_id, project_id, id, app.current_key_id(), 'Deploy', '{{yes}}', 'approved', 'yes', '{world.OwnerA}', now() FROM agents WHERE id = app.current_actor_id()",
            ["a chosen id"] = $"INSERT INTO decisions (id, org_id, workspace_id, project_id, agent_id, api_key_id, title, options) SELECT '{Guid.NewGuid()}', org_id, workspace_id, project_id, id, app.current_key_id(), 'Deploy', '{{yes}}' FROM agents WHERE id = app.current_actor_id()",
            ["a backdated message"] = "INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content, created_at) SELECT org_id, workspace_id, project_id, id, app.current_key_id(), 'note', 'x', '2020-01-01' FROM agents WHERE id = app.current_actor_id()",
            ["a chosen feed position"] = "INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content, seq) SELECT org_id, workspace_id, project_id, id, app.current_key_id(), 'note', 'x', 1 FROM agents WHERE id = app.current_actor_id()",
        };
        foreach (var (name, sql) in forged)
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(agent, sql));
            Assert.True(refused.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{name}: {refused.SqlState} {refused.MessageText}");
        }

        // A message in the sibling project is refused without touching that project's feed: with its feed head locked
        // by another transaction, the refusal comes at once instead of waiting for the lock (the feed trigger runs
        // before row-level security and must not reach, lock or reveal a feed the agent may not write to).
        await Tenants.PostMessageAsync(Db, docsKey, "Docs start here.");
        await using (var holder = new NpgsqlConnection(Db.AdminConnectionString))
        {
            await holder.OpenAsync(TestContext.Current.CancellationToken);
            await using var held = await holder.BeginTransactionAsync(TestContext.Current.CancellationToken);
            Assert.Equal(1L, await Sql.ScalarAsync<long>(holder, "SELECT seq FROM app.project_feed_heads WHERE project_id = @p FOR UPDATE", ("p", docs)));
            await Sql.ExecuteAsync(agent, "SET lock_timeout = '5s'");
            var sibling = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(agent,
                $"INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content) VALUES ('{world.OrgA}', '{world.GeneralA}', '{docs}', app.current_actor_id(), app.current_key_id(), 'note', 'x')"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, sibling.SqlState); // not 55P03, a lock wait that timed out
            await held.RollbackAsync(TestContext.Current.CancellationToken);
        }

        // Positive control: the same columns an agent may give, in its own project, go in (pending, stamped now).
        Assert.Equal(1, await Sql.ExecuteAsync(agent,
            "INSERT INTO decisions (org_id, workspace_id, project_id, agent_id, api_key_id, title, options) SELECT org_id, workspace_id, project_id, id, app.current_key_id(), 'Deploy', '{yes}' FROM agents WHERE id = app.current_actor_id()"));
    }

    private async Task<Guid> KeyIdAsync(string key) =>
        await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM api_keys WHERE key_hash = @h", ("h", ApiKeyFormat.Hash(key)));
}
