using Npgsql;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

/// <summary>
/// What each kind of actor sees, table by table, is exactly what the permission model says, whatever shape the policies
/// take. The reference below is that model written as plain SQL over the data (memberships, workspace roles, the key's
/// project), evaluated by the superuser; row-level security, as portal_app inside each actor's context and with no
/// filter of its own, must return the very same rows of every table that has row-level security. A rewrite of a policy
/// for speed that widened (or narrowed) anything for anyone fails here, naming the table, the actor and the rows.
/// </summary>
public sealed class VisibilityReferenceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly Guid PlatformChain = Guid.Empty;

    /// <summary>
    /// Visibility per table, as the permission model states it. Parameters: @org, @user, @manager (owner or admin),
    /// @ws (workspaces the person belongs to; every one for managers), @person (false for an agent), @project and @caps
    /// (an agent's project and its key's capabilities), @chain (the audit chain read: the organization's for managers,
    /// the chosen one for a platform admin).
    /// </summary>
    private static readonly Dictionary<string, string> Reference = new()
    {
        ["organizations"] = "id = @org",
        ["org_members"] = "org_id = @org AND @person",
        ["workspaces"] = "org_id = @org AND (@manager OR id = ANY (@ws))",
        ["workspace_members"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND @person",
        ["org_invitations"] = "org_id = @org AND @manager AND @person",
        ["projects"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR id = @project)",
        ["agents"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR project_id = @project)",
        ["api_keys"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND @person",
        ["agent_messages"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR (project_id = @project AND 'communicate' = ANY (@caps)))",
        ["decisions"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR (project_id = @project AND 'manage_decisions' = ANY (@caps)))",
        ["meetings"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR (project_id = @project AND 'create_meetings' = ANY (@caps)))",
        ["meeting_participants"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR (project_id = @project AND 'create_meetings' = ANY (@caps)))",
        ["meeting_messages"] = "org_id = @org AND (@manager OR workspace_id = ANY (@ws)) AND (@person OR (project_id = @project AND 'create_meetings' = ANY (@caps)))",
        ["user_subscriptions"] = "user_id = @user",
        ["audit_events"] = "chain_key = @chain",
        ["audit_daily_counts"] = "chain_key = @chain",
        ["own_platform_events"] = "chain_key = '00000000-0000-0000-0000-000000000000' AND actor_id = @user",
    };

    /// <summary>Where the reference reads a view's rows from (the superuser has no context, so the view would show it nothing).</summary>
    private static readonly Dictionary<string, string> Source = new() { ["own_platform_events"] = "audit_events" };

    /// <summary>One actor: how its context is entered, and the facts the reference needs (read from the data, not from the context).</summary>
    private sealed record Actor(string Name, Guid? User, Guid? Org, string? Key = null, Guid? ViewChain = null);

    [Fact]
    public async Task Every_actor_sees_exactly_what_the_permission_model_says_in_every_table()
    {
        var db = fixture.Database;
        var (actors, tables) = await ArrangeAsync(db);

        var differences = await CompareAsync(db, actors, tables);

        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    [Fact]
    public async Task A_widened_policy_is_caught()
    {
        // The comparison itself must be able to fail: in a scratch database, agents lose their project restriction on
        // agents (the kind of slip a policy rewrite could make), and the test names it.
        await using var scratch = await fixture.Cluster.ScratchDatabaseAsync("widened");
        var (actors, tables) = await ArrangeAsync(scratch.Database);
        await Sql.ExecuteAsync(scratch.Database.AdminConnectionString, "DROP POLICY agent_project ON agents");

        var differences = await CompareAsync(scratch.Database, actors, tables);

        Assert.Contains(differences, d => d.StartsWith("agents, agent of A's website:", StringComparison.Ordinal) && d.Contains("more", StringComparison.Ordinal));
        Assert.DoesNotContain(differences, d => !d.StartsWith("agents,", StringComparison.Ordinal));
    }

    private static async Task<(List<Actor> Actors, List<string> Tables)> ArrangeAsync(TestDatabase db)
    {
        var world = await TwoTenants.CreateAsync(db);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var admin = await Tenants.CreateUserAsync(db, $"admin-a-{tag}@example.com");
        var researchAdmin = await Tenants.CreateUserAsync(db, $"research-admin-{tag}@example.com");
        var viewer = await Tenants.CreateUserAsync(db, $"viewer-a-{tag}@example.com");
        await Tenants.AddMemberAsync(db, world.OwnerA, world.OrgA, admin, "admin");
        await Tenants.AddMemberAsync(db, world.OwnerA, world.OrgA, researchAdmin, "member", world.SecondA, "admin");
        await Tenants.AddMemberAsync(db, world.OwnerA, world.OrgA, viewer, "viewer", world.GeneralA, "admin");
        // More projects with an agent and a key: one beside the website in General (so an agent's project limit shows
        // within its workspace) and one in Research (so a workspace's limit shows).
        var docs = await Tenants.CreateProjectAsync(db, world.OwnerA, world.OrgA, world.GeneralA, "docs", "Docs");
        var writer = await Tenants.CreateAgentAsync(db, world.OwnerA, world.OrgA, docs, "writer");
        await Tenants.CreateApiKeyAsync(db, world.OwnerA, world.OrgA, writer, "main");
        var research = await Tenants.CreateProjectAsync(db, world.OwnerA, world.OrgA, world.SecondA, "lab", "Lab");
        var labAgent = await Tenants.CreateAgentAsync(db, world.OwnerA, world.OrgA, research, "analyst");
        var labKey = await Tenants.CreateApiKeyAsync(db, world.OwnerA, world.OrgA, labAgent, "main");
        await Sql.ExecuteAsync(db.AdminConnectionString, "INSERT INTO user_subscriptions (user_id, plan_code) VALUES (@a, 'pro'), (@b, 'free')",
            ("a", world.OwnerA), ("b", world.OwnerB));
        var platformAdmin = await Tenants.PlatformAdminAsync(db);
        foreach (var user in new[] { world.OwnerA, world.MemberA, platformAdmin })
        {
            await using var session = await Tenants.OpenAsync(db, user);
            await Tenants.ExecuteAsync(session, "SELECT app.record_event('login')");
        }

        var actors = new List<Actor>
        {
            new("owner of A", world.OwnerA, world.OrgA),
            new("admin of A", admin, world.OrgA),
            new("member of A (General)", world.MemberA, world.OrgA),
            new("member of A, admin of Research", researchAdmin, world.OrgA),
            new("viewer of A made General's admin", viewer, world.OrgA),
            new("owner of B", world.OwnerB, world.OrgB),
            new("agent of A's website", null, null, world.KeyA),
            new("agent of A's lab", null, null, labKey),
            new("member of A, signed in without an organization", world.MemberA, null),
            new("platform admin, signed in", platformAdmin, null),
            new("platform admin reading B's chain", platformAdmin, null, ViewChain: world.OrgB),
            new("platform admin reading the platform chain", platformAdmin, null, ViewChain: PlatformChain),
        };
        var tables = await TablesAsync(db);
        return (actors, tables);
    }

    /// <summary>Every table of the public schema with row-level security, and every view, that portal_app may read at all.</summary>
    private static async Task<List<string>> TablesAsync(TestDatabase db)
    {
        await using var connection = new NpgsqlConnection(db.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace
              AND (c.relrowsecurity OR c.relkind = 'v') AND has_table_privilege('portal_app', c.oid, 'SELECT')
            ORDER BY 1
            """, connection);
        var tables = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    private static async Task<List<string>> CompareAsync(TestDatabase db, List<Actor> actors, List<string> tables)
    {
        var differences = new List<string>();
        var seenBySomeone = new HashSet<string>();
        var hiddenFromSomeone = new HashSet<string>();
        foreach (var table in tables.Where(t => !Reference.ContainsKey(t)))
        {
            differences.Add($"{table}: has row-level security but no reference visibility here; state who sees its rows");
        }

        foreach (var actor in actors)
        {
            var facts = await FactsAsync(db, actor);
            await using var connection = await EnterAsync(db, actor);
            foreach (var table in tables.Where(Reference.ContainsKey))
            {
                var source = Source.GetValueOrDefault(table, table);
                var expected = await RowsAsync(new NpgsqlConnection(db.AdminConnectionString), $"SELECT md5(t::text) FROM {source} t WHERE {Reference[table]}", facts);
                var actual = await RowsAsync(connection, $"SELECT md5(t::text) FROM {table} t", null);
                var all = await RowsAsync(new NpgsqlConnection(db.AdminConnectionString), $"SELECT md5(t::text) FROM {source} t", null);
                var more = actual.Except(expected).Count();
                var fewer = expected.Except(actual).Count();
                if (more + fewer > 0)
                {
                    differences.Add($"{table}, {actor.Name}: {more} more and {fewer} fewer rows than the model allows (expected {expected.Count} of {all.Count})");
                }

                if (actual.Count > 0) seenBySomeone.Add(table);
                if (actual.Count < all.Count) hiddenFromSomeone.Add(table);
            }
        }

        // Positive controls: every table's rows are seen by someone and hidden from someone in this data, or the
        // comparison would prove nothing about it.
        foreach (var table in tables.Where(Reference.ContainsKey))
        {
            if (!seenBySomeone.Contains(table)) differences.Add($"{table}: nobody sees a row; the scenario must give it rows somebody may see");
            if (!hiddenFromSomeone.Contains(table)) differences.Add($"{table}: everybody sees every row; the scenario proves no restriction");
        }

        return differences;
    }

    /// <summary>The actor's facts, from the data: role and workspaces of a person, organization and project of a key.</summary>
    private static async Task<Dictionary<string, object>> FactsAsync(TestDatabase db, Actor actor)
    {
        var admin = db.AdminConnectionString;
        if (actor.Key is string key)
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT org_id, workspace_id, project_id, capabilities FROM api_keys WHERE key_hash = @h", connection);
            command.Parameters.AddWithValue("h", ApiKeyFormat.Hash(key));
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            return Facts(reader.GetGuid(0), null, manager: false, [reader.GetGuid(1)], person: false, reader.GetGuid(2), chain: null,
                reader.GetFieldValue<string[]>(3));
        }

        var user = actor.User!.Value;
        if (actor.Org is not Guid org)
        {
            return Facts(null, user, manager: false, [], person: true, null, actor.ViewChain);
        }

        var role = await Sql.ScalarAsync<string>(admin, "SELECT role FROM org_members WHERE org_id = @o AND user_id = @u AND status = 'active'", ("o", org), ("u", user));
        var manager = role is "owner" or "admin";
        var workspaces = await Sql.ScalarAsync<Guid[]?>(admin, manager
            ? "SELECT coalesce(array_agg(id), '{}') FROM workspaces WHERE org_id = @o"
            : "SELECT coalesce(array_agg(workspace_id), '{}') FROM workspace_members WHERE org_id = @o AND user_id = @u", ("o", org), ("u", user));
        return Facts(org, user, manager, workspaces ?? [], person: true, null, actor.ViewChain ?? (manager ? org : null));
    }

    private static Dictionary<string, object> Facts(Guid? org, Guid? user, bool manager, Guid[] workspaces, bool person, Guid? project, Guid? chain,
        string[]? capabilities = null) => new()
    {
        ["org"] = (object?)org ?? DBNull.Value,
        ["user"] = (object?)user ?? DBNull.Value,
        ["manager"] = manager,
        ["ws"] = workspaces,
        ["person"] = person,
        ["project"] = (object?)project ?? DBNull.Value,
        ["chain"] = (object?)chain ?? DBNull.Value,
        ["caps"] = capabilities ?? [],
    };

    private static async Task<NpgsqlConnection> EnterAsync(TestDatabase db, Actor actor)
    {
        if (actor.Key is string key)
        {
            var connection = new NpgsqlConnection(db.AppConnectionString);
            await connection.OpenAsync();
            Assert.Equal(1, await Tenants.CountAsync(connection, "SELECT count(*) FROM app.enter_agent_context(@k, NULL, NULL)", ("k", key)));
            return connection;
        }

        var person = await Tenants.OpenAsync(db, actor.User!.Value, actor.Org);
        if (actor.ViewChain is Guid chain)
        {
            await Tenants.ExecuteAsync(person, "SELECT app.view_audit_chain(@c)", ("c", chain));
        }

        return person;
    }

    private static async Task<HashSet<string>> RowsAsync(NpgsqlConnection connection, string sql, Dictionary<string, object>? parameters)
    {
        var owned = connection.State != System.Data.ConnectionState.Open;
        if (owned)
        {
            await connection.OpenAsync();
        }

        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            foreach (var (name, value) in parameters ?? [])
            {
                if (sql.Contains("@" + name, StringComparison.Ordinal))
                {
                    command.Parameters.Add(value is Guid[] ids
                        ? new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid) { Value = ids }
                        : value is DBNull ? new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Uuid) { Value = value } : new NpgsqlParameter(name, value));
                }
            }

            var rows = new HashSet<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(reader.GetString(0));
            }

            return rows;
        }
        finally
        {
            if (owned)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
