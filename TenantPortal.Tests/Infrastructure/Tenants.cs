using Npgsql;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>Builds tenants the way the app does (through the database's own functions), connected as portal_app.</summary>
public static class Tenants
{
    public const string PlatformAdminEmail = "platform-admin@tests.invalid";

    /// <summary>
    /// The database's first user, who is platform admin. Created before any test user, so that no test user
    /// becomes platform admin (and sees every organization's audit events) by being first.
    /// </summary>
    public static async Task<Guid> PlatformAdminAsync(TestDatabase db)
    {
        await Sql.ExecuteAsync(db.AppConnectionString, """
            INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed,
                               phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
            VALUES (gen_random_uuid(), @email, upper(@email), @email, upper(@email), true, false, false, true, 0)
            ON CONFLICT DO NOTHING
            """, ("email", PlatformAdminEmail));
        return await Sql.ScalarAsync<Guid>(db.AppConnectionString, "SELECT id FROM users WHERE email = @email AND is_platform_admin", ("email", PlatformAdminEmail));
    }

    public static async Task<Guid> CreateUserAsync(TestDatabase db, string email, string plan = "free")
    {
        await PlatformAdminAsync(db);
        var id = Guid.NewGuid();
        await Sql.ExecuteAsync(db.AppConnectionString, """
            INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed,
                               phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
            VALUES (@id, @email, upper(@email), @email, upper(@email), true, false, false, true, 0)
            """, ("id", id), ("email", email));
        if (plan != "free")
        {
            // Plans are changed by platform staff, not by requests: the owner role writes them.
            await Sql.ExecuteAsync(db.OwnerConnectionString,
                "INSERT INTO user_subscriptions (user_id, plan_code) VALUES (@id, @plan)", ("id", id), ("plan", plan));
        }

        return id;
    }

    public static async Task<Guid> CreateOrganizationAsync(TestDatabase db, Guid user, string slug, string name)
    {
        await using var connection = await OpenAsync(db, user);
        await using var command = new NpgsqlCommand("SELECT app.create_organization(@slug, @name)", connection);
        command.Parameters.AddWithValue("slug", slug);
        command.Parameters.AddWithValue("name", name);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Opens a portal_app connection and enters the user's context (in an organization when given).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(TestDatabase db, Guid user, Guid? org = null, string? connectionString = null)
    {
        var connection = new NpgsqlConnection(connectionString ?? db.AppConnectionString);
        await connection.OpenAsync();
        await using var command = org is null
            ? new NpgsqlCommand("SELECT app.enter_user_session(@user, NULL, NULL)", connection)
            : new NpgsqlCommand("SELECT app.enter_user_context(@user, @org, '127.0.0.1', 'tests')", connection);
        command.Parameters.AddWithValue("user", user);
        if (org is Guid orgId)
        {
            command.Parameters.AddWithValue("org", orgId);
        }

        try
        {
            await command.ExecuteNonQueryAsync();
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return connection;
    }

    public static async Task<Guid> CreateWorkspaceAsync(TestDatabase db, Guid owner, Guid org, string slug, string name)
    {
        await using var connection = await OpenAsync(db, owner, org);
        await using var command = new NpgsqlCommand(
            "INSERT INTO workspaces (org_id, slug, name, created_by) VALUES (@org, @slug, @name, @owner) RETURNING id", connection);
        command.Parameters.AddWithValue("org", org);
        command.Parameters.AddWithValue("slug", slug);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("owner", owner);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    public static async Task AddMemberAsync(TestDatabase db, Guid owner, Guid org, Guid user, string role, Guid? workspace = null, string workspaceRole = "member")
    {
        await using var connection = await OpenAsync(db, owner, org);
        await ExecuteAsync(connection, "INSERT INTO org_members (org_id, user_id, role, invited_by) VALUES (@org, @user, @role, @owner) ON CONFLICT DO NOTHING",
            ("org", org), ("user", user), ("role", role), ("owner", owner));
        if (workspace is Guid workspaceId)
        {
            await ExecuteAsync(connection, "INSERT INTO workspace_members (org_id, workspace_id, user_id, role) VALUES (@org, @ws, @user, @role)",
                ("org", org), ("ws", workspaceId), ("user", user), ("role", workspaceRole));
        }
    }

    public static async Task<Guid> CreateProjectAsync(TestDatabase db, Guid owner, Guid org, Guid workspace, string slug, string name, params string[] tags)
    {
        await using var connection = await OpenAsync(db, owner, org);
        return await Sql.ScalarAsync<Guid>(connection,
            "INSERT INTO projects (org_id, workspace_id, slug, name, tags, created_by) VALUES (@org, @ws, @slug, @name, @tags, @owner) RETURNING id",
            ("org", org), ("ws", workspace), ("slug", slug), ("name", name), ("tags", tags), ("owner", owner));
    }

    public static async Task<Guid> CreateInvitationAsync(TestDatabase db, Guid inviter, Guid org, string email, string role = "member")
    {
        await using var connection = await OpenAsync(db, inviter, org);
        return await Sql.ScalarAsync<Guid>(connection,
            "INSERT INTO org_invitations (org_id, email, role, token_hash, invited_by) VALUES (@org, @email, @role, sha256(gen_random_uuid()::text::bytea), @by) RETURNING id",
            ("org", org), ("email", email), ("role", role), ("by", inviter));
    }

    private static readonly string[] DefaultCapabilities = ["communicate"];

    public static async Task<Guid> CreateAgentAsync(TestDatabase db, Guid owner, Guid org, Guid project, string name)
    {
        await using var connection = await OpenAsync(db, owner, org);
        return await Sql.ScalarAsync<Guid>(connection, """
            INSERT INTO agents (org_id, workspace_id, project_id, name, display_name, status, created_by)
            SELECT @org, p.workspace_id, p.id, @name, @name, 'active', @owner FROM projects p WHERE p.id = @project
            RETURNING id
            """, ("org", org), ("project", project), ("name", name), ("owner", owner));
    }

    /// <summary>Issues a key for an agent straight in the database; returns the key itself.</summary>
    public static async Task<string> CreateApiKeyAsync(TestDatabase db, Guid owner, Guid org, Guid agent, string name, params string[] capabilities)
    {
        await using var connection = await OpenAsync(db, owner, org);
        var project = await Sql.ScalarAsync<Guid>(connection, "SELECT project_id FROM agents WHERE id = @a", ("a", agent));
        var workspace = await Sql.ScalarAsync<Guid>(connection, "SELECT workspace_id FROM agents WHERE id = @a", ("a", agent));
        var key = TenantPortal.Features.ApiKeys.ApiKeyFormat.Generate(project, agent);
        await Sql.ExecuteAsync(connection, """
            INSERT INTO api_keys (org_id, workspace_id, project_id, agent_id, name, key_hash, prefix, last_four, capabilities, created_by)
            VALUES (@org, @ws, @project, @agent, @name, @hash, @prefix, @last, @caps, @owner)
            """, ("org", org), ("ws", workspace), ("project", project), ("agent", agent), ("name", name), ("hash", key.Hash),
            ("prefix", key.Prefix), ("last", key.LastFour), ("caps", capabilities.Length == 0 ? DefaultCapabilities : capabilities), ("owner", owner));
        return key.Key;
    }

    /// <summary>A portal_app connection in the context of the agent whose key this is.</summary>
    public static async Task<NpgsqlConnection> OpenAgentAsync(TestDatabase db, string key)
    {
        var connection = new NpgsqlConnection(db.AppConnectionString);
        await connection.OpenAsync();
        if (await CountAsync(connection, "SELECT count(*) FROM app.enter_agent_context(@k, NULL, NULL)", ("k", key)) != 1)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException("The key does not verify.");
        }

        return connection;
    }

    /// <summary>The agent of <paramref name="key"/> posts a message to its whole project, straight in the database.</summary>
    public static async Task<Guid> PostMessageAsync(TestDatabase db, string key, string content, string type = "note")
    {
        await using var connection = await OpenAgentAsync(db, key);
        return await Sql.ScalarAsync<Guid>(connection, """
            INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content)
            SELECT a.org_id, a.workspace_id, a.project_id, a.id, app.current_key_id(), @type, @content
            FROM agents a WHERE a.id = app.current_actor_id()
            RETURNING id
            """, ("type", type), ("content", content));
    }

    /// <summary>The agent of <paramref name="key"/> proposes a decision, straight in the database.</summary>
    public static async Task<Guid> ProposeDecisionAsync(TestDatabase db, string key, string title, params string[] options)
    {
        await using var connection = await OpenAgentAsync(db, key);
        return await Sql.ScalarAsync<Guid>(connection, """
            INSERT INTO decisions (org_id, workspace_id, project_id, agent_id, api_key_id, title, options)
            SELECT a.org_id, a.workspace_id, a.project_id, a.id, app.current_key_id(), @title, @options
            FROM agents a WHERE a.id = app.current_actor_id()
            RETURNING id
            """, ("title", title), ("options", options));
    }

    /// <summary>
    /// The agent of <paramref name="key"/> opens a meeting with the agents named (and itself), straight in the
    /// database; returns the meeting's id.
    /// </summary>
    public static async Task<Guid> OpenMeetingAsync(TestDatabase db, string key, string title, params string[] participants)
    {
        await using var connection = await OpenAgentAsync(db, key);
        await using var transaction = await connection.BeginTransactionAsync();
        var meeting = await Sql.ScalarAsync<Guid>(connection, """
            INSERT INTO meetings (org_id, workspace_id, project_id, agent_id, api_key_id, title)
            SELECT a.org_id, a.workspace_id, a.project_id, a.id, app.current_key_id(), @title
            FROM agents a WHERE a.id = app.current_actor_id()
            RETURNING id
            """, ("title", title));
        await Sql.ExecuteAsync(connection, """
            INSERT INTO meeting_participants (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id)
            SELECT a.org_id, a.workspace_id, a.project_id, @m, a.id, app.current_key_id()
            FROM agents a WHERE a.project_id = app.current_project_id() AND (a.id = app.current_actor_id() OR a.name = ANY (@names))
            """, ("m", meeting), ("names", participants));
        await transaction.CommitAsync();
        return meeting;
    }

    /// <summary>The agent of <paramref name="key"/> says something in a meeting, straight in the database.</summary>
    public static async Task<Guid> PostInMeetingAsync(TestDatabase db, string key, Guid meeting, string content)
    {
        await using var connection = await OpenAgentAsync(db, key);
        return await Sql.ScalarAsync<Guid>(connection, """
            INSERT INTO meeting_messages (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id, content)
            SELECT a.org_id, a.workspace_id, a.project_id, @m, a.id, app.current_key_id(), @content
            FROM agents a WHERE a.id = app.current_actor_id()
            RETURNING id
            """, ("m", meeting), ("content", content));
    }

    public static async Task<long> CountAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters) =>
        await Sql.ScalarAsync<long>(connection, sql, parameters);

    public static Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters) =>
        Sql.ExecuteAsync(connection, sql, parameters);
}

/// <summary>
/// Two organizations, Acme (A) and Globex (B), each with an owner, a member, the default workspace and a second one,
/// a workspace membership, a project with an agent and its key (communicate, manage_decisions, create_meetings), a
/// message, a pending decision and an open meeting (with something said in it) of that agent, and a pending
/// invitation, so that every tenant table holds rows of both.
/// </summary>
public sealed class TwoTenants
{
    public required Guid OwnerA { get; init; }
    public required Guid MemberA { get; init; }
    public required Guid OwnerB { get; init; }
    public required Guid OrgA { get; init; }
    public required Guid OrgB { get; init; }
    public required Guid GeneralA { get; init; }
    public required Guid SecondA { get; init; }
    public required Guid ProjectA { get; init; }
    public required Guid ProjectB { get; init; }
    public required Guid AgentA { get; init; }
    public required string KeyA { get; init; }
    public required string KeyB { get; init; }

    /// <summary>A second project of A in General ("docs") with an agent ("writer") and its key of <paramref name="capabilities"/>.</summary>
    public async Task<(Guid Project, Guid Agent, string Key)> SiblingProjectAsync(TestDatabase db, params string[] capabilities)
    {
        var docs = await Tenants.CreateProjectAsync(db, OwnerA, OrgA, GeneralA, "docs", "Docs");
        var writer = await Tenants.CreateAgentAsync(db, OwnerA, OrgA, docs, "writer");
        return (docs, writer, await Tenants.CreateApiKeyAsync(db, OwnerA, OrgA, writer, "writer", capabilities));
    }

    public static async Task<TwoTenants> CreateAsync(TestDatabase db)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var ownerA = await Tenants.CreateUserAsync(db, $"owner-a-{tag}@example.com");
        var memberA = await Tenants.CreateUserAsync(db, $"member-a-{tag}@example.com");
        var ownerB = await Tenants.CreateUserAsync(db, $"owner-b-{tag}@example.com");
        var memberB = await Tenants.CreateUserAsync(db, $"member-b-{tag}@example.com");
        var orgA = await Tenants.CreateOrganizationAsync(db, ownerA, $"acme-{tag}", "Acme");
        var orgB = await Tenants.CreateOrganizationAsync(db, ownerB, $"globex-{tag}", "Globex");
        var generalA = await Sql.ScalarAsync<Guid>(db.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @org AND slug = 'general'", ("org", orgA));
        var generalB = await Sql.ScalarAsync<Guid>(db.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @org AND slug = 'general'", ("org", orgB));
        var secondA = await Tenants.CreateWorkspaceAsync(db, ownerA, orgA, "research", "Research");
        await Tenants.CreateWorkspaceAsync(db, ownerB, orgB, "research", "Research");
        await Tenants.AddMemberAsync(db, ownerA, orgA, memberA, "member", generalA);
        await Tenants.AddMemberAsync(db, ownerB, orgB, memberB, "member", generalB);
        var projectA = await Tenants.CreateProjectAsync(db, ownerA, orgA, generalA, "website", "Website", "web");
        var projectB = await Tenants.CreateProjectAsync(db, ownerB, orgB, generalB, "website", "Website", "web");
        var agentA = await Tenants.CreateAgentAsync(db, ownerA, orgA, projectA, "greeter");
        var agentB = await Tenants.CreateAgentAsync(db, ownerB, orgB, projectB, "greeter");
        var keyA = await Tenants.CreateApiKeyAsync(db, ownerA, orgA, agentA, "main", "communicate", "manage_decisions", "create_meetings");
        var keyB = await Tenants.CreateApiKeyAsync(db, ownerB, orgB, agentB, "main", "communicate", "manage_decisions", "create_meetings");
        foreach (var key in new[] { keyA, keyB })
        {
            await Tenants.PostMessageAsync(db, key, "Hello, project.");
            await Tenants.ProposeDecisionAsync(db, key, "Ship the release?", "ship", "wait");
            await Tenants.PostInMeetingAsync(db, key, await Tenants.OpenMeetingAsync(db, key, "Stand-up"), "Nothing blocks me.");
        }

        await Tenants.CreateInvitationAsync(db, ownerA, orgA, $"invitee-a-{tag}@example.com");
        await Tenants.CreateInvitationAsync(db, ownerB, orgB, $"invitee-b-{tag}@example.com");
        return new TwoTenants
        {
            OwnerA = ownerA, MemberA = memberA, OwnerB = ownerB, OrgA = orgA, OrgB = orgB, GeneralA = generalA, SecondA = secondA,
            ProjectA = projectA, ProjectB = projectB, AgentA = agentA, KeyA = keyA, KeyB = keyB,
        };
    }
}
