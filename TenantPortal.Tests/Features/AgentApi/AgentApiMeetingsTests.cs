using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>
/// Meetings through the agent API, over real HTTP: opening one with participants, posting in order, who may post and
/// close, strict input, tenancy, audit; and the database's own refusals of the same things in SQL.
/// </summary>
public sealed class AgentApiMeetingsTests(ApiApp api) : IClassFixture<ApiApp>
{
    private static readonly string[] Scribe = ["scribe"];
    private static readonly string[] Greeter = ["greeter"];
    private static readonly string[] Writer = ["writer"];

    private TestDatabase Db => api.Database;

    [Fact]
    public async Task Participants_post_in_order_others_read_only_and_the_organizer_closes_the_meeting()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var scribeKey = await AgentKeyAsync(world, "scribe", Capability.CreateMeetings);
        var outsiderKey = await AgentKeyAsync(world, "outsider", Capability.CreateMeetings);
        using var greeter = api.Client(world.KeyA);
        using var scribe = api.Client(scribeKey);
        using var outsider = api.Client(outsiderKey);
        var ct = TestContext.Current.CancellationToken;
        var at = DateTimeOffset.UtcNow.AddHours(2);

        using var created = await greeter.PostAsync("api/v1/meetings",
            Api.Json(new { title = "Release planning", agenda = "1. Scope\n2. Dates", participants = Scribe, scheduledAt = at }), ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var meeting = await Api.BodyAsync(created);
        var id = meeting.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/meetings/{id}", created.Headers.Location?.ToString());
        Assert.Equal(("open", "Release planning", "1. Scope\n2. Dates", "greeter"), (meeting.GetProperty("status").GetString(),
            meeting.GetProperty("title").GetString(), meeting.GetProperty("agenda").GetString(), meeting.GetProperty("organizer").GetString()));
        Assert.Equal(["greeter", "scribe"], Names(meeting.GetProperty("participants")));
        Assert.Equal(at.ToUnixTimeSeconds(), meeting.GetProperty("scheduledAt").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal(JsonValueKind.Null, meeting.GetProperty("closedAt").ValueKind);

        // The participants speak in turn; anyone of the project with the capability reads along, in order, by cursor.
        foreach (var (client, content) in new[] { (scribe, "Scope is frozen."), (greeter, "Dates next week."), (scribe, "Agreed.") })
        {
            using var posted = await client.PostAsync($"api/v1/meetings/{id}/messages", Api.Json(new { content }), ct);
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            var one = await Api.BodyAsync(await client.GetAsync(posted.Headers.Location!.ToString().TrimStart('/'), ct));
            Assert.Equal(content, one.GetProperty("content").GetString());
        }

        var first = await Api.BodyAsync(await outsider.GetAsync($"api/v1/meetings/{id}/messages?limit=2", ct));
        Assert.Equal(["Scope is frozen.", "Dates next week."], Contents(first));
        Assert.Equal(["scribe", "greeter"], first.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("fromAgent").GetString()));
        var rest = await Api.BodyAsync(await outsider.GetAsync($"api/v1/meetings/{id}/messages?after={first.GetProperty("nextCursor").GetString()}", ct));
        Assert.Equal(["Agreed."], Contents(rest));

        // Lists: the project's meetings, and only those this agent takes part in.
        Assert.Equal(["Release planning", "Stand-up"], Titles(await Api.BodyAsync(await outsider.GetAsync("api/v1/meetings", ct))));
        Assert.Empty(Titles(await Api.BodyAsync(await outsider.GetAsync("api/v1/meetings?mine=true", ct))));
        Assert.Equal(["Release planning"], Titles(await Api.BodyAsync(await scribe.GetAsync("api/v1/meetings?mine=true", ct))));

        // Who may do what: an outsider does not post, a participant does not close.
        await Api.ProblemAsync(await outsider.PostAsync($"api/v1/meetings/{id}/messages", Api.Json(new { content = "Let me in." }), ct), 403, "not-a-participant");
        await Api.ProblemAsync(await scribe.PostAsync($"api/v1/meetings/{id}/close", null, ct), 403, "not-the-organizer");

        using var closed = await greeter.PostAsync($"api/v1/meetings/{id}/close", null, ct);
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        var closedMeeting = await Api.BodyAsync(closed);
        Assert.Equal("closed", closedMeeting.GetProperty("status").GetString());
        var closedAt = closedMeeting.GetProperty("closedAt").GetDateTimeOffset();
        var again = await Api.BodyAsync(await greeter.PostAsync($"api/v1/meetings/{id}/close", null, ct));
        Assert.Equal(("closed", closedAt), (again.GetProperty("status").GetString(), again.GetProperty("closedAt").GetDateTimeOffset()));
        await Api.ProblemAsync(await scribe.PostAsync($"api/v1/meetings/{id}/messages", Api.Json(new { content = "One more thing." }), ct), 409, "meeting-closed");
        Assert.Equal(["Release planning"], Titles(await Api.BodyAsync(await outsider.GetAsync("api/v1/meetings?status=closed", ct))));
        Assert.Equal(3L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM meeting_messages WHERE meeting_id = @m", ("m", id)));
    }

    [Fact]
    public async Task The_database_refuses_posts_by_non_participants_closing_by_others_and_posts_after_closing()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var scribeKey = await AgentKeyAsync(world, "scribe", Capability.CreateMeetings);
        var outsiderKey = await AgentKeyAsync(world, "outsider", Capability.CreateMeetings);
        var meeting = await Tenants.OpenMeetingAsync(Db, world.KeyA, "Review", "scribe");

        // Positive control: a participant's post in SQL goes in.
        await Tenants.PostInMeetingAsync(Db, scribeKey, meeting, "Here.");
        // An outsider's post, and an outsider or a participant closing it, are refused by row-level security itself.
        var post = await Assert.ThrowsAsync<PostgresException>(() => Tenants.PostInMeetingAsync(Db, outsiderKey, meeting, "Me too."));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, post.SqlState);
        foreach (var key in new[] { outsiderKey, scribeKey })
        {
            await using var agent = await Tenants.OpenAgentAsync(Db, key);
            Assert.Equal(0, await Tenants.ExecuteAsync(agent, "UPDATE meetings SET status = 'closed' WHERE id = @m", ("m", meeting)));
            // Nor can anyone add a participant but the organizer.
            var invite = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(agent, """
                INSERT INTO meeting_participants (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id)
                SELECT org_id, workspace_id, project_id, id, app.current_actor_id(), app.current_key_id() FROM meetings WHERE id = @m
                """, ("m", meeting)));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, invite.SqlState);
        }

        // The organizer closes it in a transaction; a participant's post meanwhile waits for that transaction and is
        // refused once it commits (the post reads the meeting with a share lock, not from an older snapshot).
        await using var organizer = await Tenants.OpenAgentAsync(Db, world.KeyA);
        await using var closing = await organizer.BeginTransactionAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, await Tenants.ExecuteAsync(organizer, "UPDATE meetings SET status = 'closed' WHERE id = @m", ("m", meeting)));
        var late = Tenants.PostInMeetingAsync(Db, scribeKey, meeting, "Wait for me.");
        // It ends up waiting for a row lock (not done, and not merely slow to connect).
        await Eventually.EqualAsync(true, async () => late.IsCompleted || await Sql.ScalarAsync<bool>(Db.AdminConnectionString,
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO meeting_messages%')"));
        Assert.False(late.IsCompleted);
        await closing.CommitAsync(TestContext.Current.CancellationToken);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => late);
        Assert.Equal("meeting_messages_meeting_open", refused.ConstraintName);

        // A closed meeting stays closed, and what it was never changes.
        var reopen = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(organizer, "UPDATE meetings SET status = 'open' WHERE id = @m", ("m", meeting)));
        Assert.Equal("meetings_closed_once", reopen.ConstraintName);
        var retitle = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(organizer, "UPDATE meetings SET title = 'Other' WHERE id = @m", ("m", meeting)));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, retitle.SqlState); // not even a column it may update
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM meeting_messages WHERE meeting_id = @m", ("m", meeting)));
    }

    [Fact]
    public async Task Meetings_are_audited_under_the_agent_and_its_key_with_hashes_instead_of_what_was_said()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await AgentKeyAsync(world, "scribe", Capability.CreateMeetings);
        using var greeter = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;
        var agenda = "Confidential agenda " + Guid.NewGuid();
        var content = "Confidential remark " + Guid.NewGuid();

        var meeting = await Api.BodyAsync(await greeter.PostAsync("api/v1/meetings",
            Api.Json(new { title = "Audit me", agenda, participants = Scribe }), ct));
        var id = meeting.GetProperty("id").GetGuid();
        var message = await Api.BodyAsync(await greeter.PostAsync($"api/v1/meetings/{id}/messages", Api.Json(new { content }), ct));
        Assert.Equal(HttpStatusCode.OK, (await greeter.PostAsync($"api/v1/meetings/{id}/close", null, ct)).StatusCode);

        var keyId = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM api_keys WHERE key_hash = @h", ("h", ApiKeyFormat.Hash(world.KeyA)));
        var trail = await Sql.ColumnAsync(Db.AdminConnectionString, """
            SELECT action || ':' || actor_type || ':' || (actor_id = @agent) || ':' || (api_key_id = @key) FROM audit_events
            WHERE org_id = @org AND (entity_id = @meeting OR entity_id = @message OR (action = 'meeting_invite' AND details -> 'new' ->> 'meeting_id' = @meeting))
            ORDER BY seq
            """, ("agent", world.AgentA), ("key", keyId), ("org", world.OrgA), ("meeting", id.ToString()), ("message", message.GetProperty("id").GetString()!));
        Assert.Equal(["meeting_create:agent:true:true", "meeting_invite:agent:true:true", "meeting_invite:agent:true:true",
            "meeting_post:agent:true:true", "meeting_close:agent:true:true"], trail);

        var details = await Sql.ColumnAsync(Db.AdminConnectionString, """
            SELECT details::text FROM audit_events WHERE org_id = @org AND entity_id IN (@meeting, @message) AND action IN ('meeting_create', 'meeting_post')
            """, ("org", world.OrgA), ("meeting", id.ToString()), ("message", message.GetProperty("id").GetString()!));
        Assert.Equal(2, details.Count);
        Assert.All(details, d => Assert.DoesNotContain("Confidential", d, StringComparison.Ordinal));
        Assert.Contains(details, d => d.Contains(Sha256(agenda), StringComparison.Ordinal));
        Assert.Contains(details, d => d.Contains(Sha256(content), StringComparison.Ordinal));
        Assert.Equal(agenda, await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT agenda FROM meetings WHERE id = @m", ("m", id))); // kept where it belongs
    }

    [Fact]
    public async Task A_key_never_reaches_another_projects_meetings()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var (_, writer, docsKey) = await world.SiblingProjectAsync(Db, Capability.CreateMeetings);
        var docsMeeting = await Tenants.OpenMeetingAsync(Db, docsKey, "Docs sync");
        var bMeeting = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM meetings WHERE org_id = @b", ("b", world.OrgB));
        using var greeter = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;

        foreach (var id in new[] { docsMeeting, bMeeting })
        {
            await Api.ProblemAsync(await greeter.GetAsync($"api/v1/meetings/{id}", ct), 404, "not-found");
            await Api.ProblemAsync(await greeter.GetAsync($"api/v1/meetings/{id}/messages", ct), 404, "not-found");
            await Api.ProblemAsync(await greeter.PostAsync($"api/v1/meetings/{id}/messages", Api.Json(new { content = "hi" }), ct), 404, "not-found");
            await Api.ProblemAsync(await greeter.PostAsync($"api/v1/meetings/{id}/close", null, ct), 404, "not-found");
        }

        Assert.Equal(["Stand-up"], Titles(await Api.BodyAsync(await greeter.GetAsync("api/v1/meetings?limit=200", ct))));
        // Nor can a meeting invite an agent of another project.
        var problem = await Api.ProblemAsync(await greeter.PostAsync("api/v1/meetings", Api.Json(new { title = "Cross", participants = Writer }), ct),
            400, "invalid-request");
        Assert.Contains("'writer'", problem.GetProperty("errors").GetProperty("participants")[0].GetString(), StringComparison.Ordinal);
        await using (var agent = await Tenants.OpenAgentAsync(Db, world.KeyA))
        {
            var standUp = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM meetings WHERE org_id = @a AND project_id = @p", ("a", world.OrgA), ("p", world.ProjectA));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(agent, """
                INSERT INTO meeting_participants (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id)
                SELECT m.org_id, m.workspace_id, m.project_id, m.id, @writer, app.current_key_id() FROM meetings m WHERE m.id = @m
                """, ("writer", writer), ("m", standUp)));
            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
        }

        // Positive controls: each key reads its own project's meetings.
        using var writerClient = api.Client(docsKey);
        Assert.Equal(HttpStatusCode.OK, (await writerClient.GetAsync($"api/v1/meetings/{docsMeeting}", ct)).StatusCode);
        using var bClient = api.Client(world.KeyB);
        Assert.Equal(["Nothing blocks me."], Contents(await Api.BodyAsync(await bClient.GetAsync($"api/v1/meetings/{bMeeting}/messages", ct))));
    }

    [Fact]
    public async Task Without_create_meetings_a_key_gets_403_and_the_database_refuses_the_same_insert()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var chatterKey = await AgentKeyAsync(world, "chatter", Capability.Communicate);
        using var chatter = api.Client(chatterKey);

        var problem = await Api.ProblemAsync(await chatter.PostAsync("api/v1/meetings", Api.Json(new { title = "Hi", participants = Greeter }),
            TestContext.Current.CancellationToken), 403, "missing-capability");
        Assert.Equal("create_meetings", problem.GetProperty("capability").GetString());
        await Api.ProblemAsync(await chatter.GetAsync("api/v1/meetings", TestContext.Current.CancellationToken), 403, "missing-capability");

        await using var agent = await Tenants.OpenAgentAsync(Db, chatterKey);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(agent, """
            INSERT INTO meetings (org_id, workspace_id, project_id, agent_id, api_key_id, title)
            SELECT a.org_id, a.workspace_id, a.project_id, a.id, app.current_key_id(), 'Sneaky' FROM agents a WHERE a.id = app.current_actor_id()
            """));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        Assert.Equal(0L, await Tenants.CountAsync(agent, "SELECT count(*) FROM meetings")); // and it reads none
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM meetings WHERE title = 'Sneaky'"));
    }

    [Fact]
    public async Task Bad_meeting_requests_get_field_errors_and_change_nothing()
    {
        var world = await TwoTenants.CreateAsync(Db);
        using var client = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;
        var meeting = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM meetings WHERE org_id = @a", ("a", world.OrgA));
        var before = await StateAsync(world.OrgA);

        var fields = new (string Body, string Field)[]
        {
            ("{\"participants\":[\"greeter\"]}", "title"),
            ("{\"title\":\"  \",\"participants\":[\"greeter\"]}", "title"),
            ("{\"title\":\"" + new string('t', 201) + "\",\"participants\":[\"greeter\"]}", "title"),
            ("{\"title\":\"T\"}", "participants"),
            ("{\"title\":\"T\",\"participants\":[]}", "participants"),
            ("{\"title\":\"T\",\"participants\":\"greeter\"}", "participants"),
            ("{\"title\":\"T\",\"participants\":[\"greeter\",\"greeter\"]}", "participants"),
            ("{\"title\":\"T\",\"participants\":[\"nobody\",\"greeter\",\"ghost\"]}", "participants"),
            ("{\"title\":\"T\",\"participants\":[42]}", "participants[0]"),
            ("{\"title\":\"T\",\"participants\":[" + string.Join(',', Enumerable.Range(0, 51).Select(i => $"\"a{i}\"")) + "]}", "participants"),
            ("{\"title\":\"T\",\"participants\":[\"greeter\"],\"agenda\":\"" + new string('a', 10_001) + "\"}", "agenda"),
            ("{\"title\":\"T\",\"participants\":[\"greeter\"],\"scheduledAt\":\"2020-01-01T00:00:00Z\"}", "scheduledAt"),
            ("{\"title\":\"T\",\"participants\":[\"greeter\"],\"scheduledAt\":\"tomorrow\"}", "scheduledAt"),
            ("{\"title\":\"T\",\"participants\":[\"greeter\"],\"organizer\":\"scribe\"}", "organizer"),
        };
        foreach (var (body, field) in fields)
        {
            var problem = await Api.ProblemAsync(await client.PostAsync("api/v1/meetings", Api.RawJson(body), ct), 400, "invalid-request");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body[..Math.Min(80, body.Length)]}: {problem}");
        }

        var unknown = await Api.ProblemAsync(await client.PostAsync("api/v1/meetings", Api.RawJson("{\"title\":\"T\",\"participants\":[\"nobody\",\"greeter\",\"ghost\"]}"), ct),
            400, "invalid-request");
        Assert.Equal("There is no agent named 'nobody', 'ghost' in this project; GET /api/v1/project lists them.",
            unknown.GetProperty("errors").GetProperty("participants")[0].GetString());
        foreach (var body in new[] { "{}", "{\"content\":\"\"}", "{\"content\":7}", "{\"content\":\"a\\u0000b\"}", "{\"content\":\"x\",\"to\":\"y\"}" })
        {
            await Api.ProblemAsync(await client.PostAsync($"api/v1/meetings/{meeting}/messages", Api.RawJson(body), ct), 400, "invalid-request");
        }

        foreach (var query in new[] { "status=done", "mine=yes", "limit=0", "limit=201" })
        {
            await Api.ProblemAsync(await client.GetAsync($"api/v1/meetings?{query}", ct), 400, "invalid-request");
        }

        await Api.ProblemAsync(await client.GetAsync($"api/v1/meetings/{meeting}/messages?after=x", ct), 400, "invalid-request");
        foreach (var path in new[] { "api/v1/meetings/not-an-id", "api/v1/meetings/..%2F..%2Fetc", $"api/v1/meetings/{Guid.NewGuid()}",
                     $"api/v1/meetings/{meeting}/messages/{Guid.NewGuid()}", $"api/v1/meetings/{Guid.NewGuid()}/messages" })
        {
            await Api.ProblemAsync(await client.GetAsync(path, ct), 404, "not-found");
        }

        await Api.ProblemAsync(await client.PostAsync("api/v1/meetings/not-an-id/close", null, ct), 404, "not-found");
        await Api.ProblemAsync(await client.DeleteAsync($"api/v1/meetings/{meeting}", ct), 405, "method-not-allowed");
        await Api.ProblemAsync(await client.PostAsync("api/v1/meetings", new StringContent("{}", Encoding.UTF8, "text/plain"), ct), 415, "unsupported-media-type");
        Assert.Equal(before, await StateAsync(world.OrgA));

        // Positive control: a valid meeting goes in, with its participants, under an Idempotency-Key that a repeat reuses.
        var idempotent = new Func<HttpRequestMessage>(() => new(HttpMethod.Post, "api/v1/meetings")
        {
            Content = Api.Json(new { title = "Retro", participants = Greeter }),
            Headers = { { "Idempotency-Key", "retro-1" } },
        });
        using var firstTry = await client.SendAsync(idempotent(), ct);
        using var secondTry = await client.SendAsync(idempotent(), ct);
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (firstTry.StatusCode, secondTry.StatusCode));
        Assert.Equal((await Api.BodyAsync(firstTry)).GetProperty("id").GetGuid(), (await Api.BodyAsync(secondTry)).GetProperty("id").GetGuid());
        Assert.NotEqual(before, await StateAsync(world.OrgA));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM meetings WHERE org_id = @a AND title = 'Retro'", ("a", world.OrgA)));
    }

    private async Task<string> AgentKeyAsync(TwoTenants world, string name, params string[] capabilities)
    {
        var agent = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, name);
        return await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, agent, name, capabilities);
    }

    private Task<string?> StateAsync(Guid org) => Sql.ScalarAsync<string>(Db.AdminConnectionString, """
        SELECT concat_ws('|', (SELECT md5(string_agg(m::text, ',' ORDER BY m.id)) FROM meetings m WHERE m.org_id = @o),
                              (SELECT count(*) FROM meeting_participants WHERE org_id = @o), (SELECT count(*) FROM meeting_messages WHERE org_id = @o),
                              (SELECT count(*) FROM audit_events WHERE org_id = @o))
        """, ("o", org));

    private static string Sha256(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private static List<string?> Names(JsonElement list) => [.. list.EnumerateArray().Select(n => n.GetString())];

    private static List<string?> Contents(JsonElement page) => [.. page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString())];

    private static List<string?> Titles(JsonElement page) => [.. page.GetProperty("meetings").EnumerateArray().Select(m => m.GetProperty("title").GetString())];
}
