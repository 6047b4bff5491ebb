using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>Messages through the agent API, over real HTTP: addressing, order and cursors, strict input, tenancy, audit.</summary>
public sealed class AgentApiMessagesTests(ApiApp api) : IClassFixture<ApiApp>
{
    private TestDatabase Db => api.Database;

    [Fact]
    public async Task Messages_go_to_one_agent_or_to_everyone_and_read_back_in_order_with_cursors()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var scribe = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, "scribe");
        var scribeKey = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, scribe, "scribe", Capability.Communicate);
        using var greeter = api.Client(world.KeyA);
        using var scribeClient = api.Client(scribeKey);
        var ct = TestContext.Current.CancellationToken;

        using var direct = await greeter.PostAsync("api/v1/messages",
            Api.Json(new { toAgent = "scribe", messageType = "task.assign", content = "Write the release notes.\nThanks!", correlationId = "release-42", metadata = new { priority = 2 } }), ct);
        Assert.Equal(HttpStatusCode.Created, direct.StatusCode);
        var sent = await Api.BodyAsync(direct);
        Assert.Equal($"/api/v1/messages/{sent.GetProperty("id").GetGuid()}", direct.Headers.Location?.ToString());
        Assert.Equal(("greeter", "scribe", "Write the release notes.\nThanks!"),
            (sent.GetProperty("fromAgent").GetString(), sent.GetProperty("toAgent").GetString(), sent.GetProperty("content").GetString()));
        Assert.Equal(2, sent.GetProperty("metadata").GetProperty("priority").GetInt32());

        using var broadcast = await greeter.PostAsync("api/v1/messages", Api.Json(new { messageType = "status", content = "Deploying now." }), ct);
        Assert.Equal(HttpStatusCode.Created, broadcast.StatusCode);
        using var reply = await scribeClient.PostAsync("api/v1/messages",
            Api.Json(new { toAgent = "greeter", messageType = "task.done", content = "Done.", correlationId = "release-42", replyTo = sent.GetProperty("id").GetGuid() }), ct);
        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);

        // The scribe's inbox: what was sent to it or to everyone by others, in order; its own reply is not there.
        var inbox = await Api.BodyAsync(await scribeClient.GetAsync("api/v1/messages?toMe=true", ct));
        Assert.Equal(["Hello, project.", "Write the release notes.\nThanks!", "Deploying now."], Contents(inbox));
        // The whole feed: TwoTenants' first message, then these three, in the order they were written.
        var feed = await Api.BodyAsync(await scribeClient.GetAsync("api/v1/messages?limit=2", ct));
        Assert.Equal(["Hello, project.", "Write the release notes.\nThanks!"], Contents(feed));
        var rest = await Api.BodyAsync(await scribeClient.GetAsync($"api/v1/messages?after={feed.GetProperty("nextCursor").GetString()}", ct));
        Assert.Equal(["Deploying now.", "Done."], Contents(rest));
        var empty = await Api.BodyAsync(await scribeClient.GetAsync($"api/v1/messages?after={rest.GetProperty("nextCursor").GetString()}", ct));
        Assert.Empty(Contents(empty));
        Assert.Equal(rest.GetProperty("nextCursor").GetString(), empty.GetProperty("nextCursor").GetString()); // poll again from here
        var thread = await Api.BodyAsync(await greeter.GetAsync("api/v1/messages?correlationId=release-42", ct));
        Assert.Equal(["Write the release notes.\nThanks!", "Done."], Contents(thread));
        var one = await Api.BodyAsync(await greeter.GetAsync(direct.Headers.Location!.ToString().TrimStart('/'), ct));
        Assert.Equal(sent.GetProperty("id").GetGuid(), one.GetProperty("id").GetGuid());

        // Each write moved the agent's and the project's last activity.
        Assert.Equal(2L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM agents WHERE id IN (@a, @b) AND last_activity_at > now() - interval '5 minutes'", ("a", world.AgentA), ("b", scribe)));
        Assert.True(await Sql.ScalarAsync<bool>(Db.AdminConnectionString,
            "SELECT last_activity_at > now() - interval '5 minutes' FROM projects WHERE id = @p", ("p", world.ProjectA)));
    }

    [Fact]
    public async Task Every_message_is_audited_under_the_agent_and_its_key_with_a_hash_instead_of_the_content()
    {
        var world = await TwoTenants.CreateAsync(Db);
        using var greeter = api.Client(world.KeyA);
        var content = "The secret plan: " + Guid.NewGuid();

        using var response = await greeter.PostAsync("api/v1/messages", Api.Json(new { messageType = "note", content }), TestContext.Current.CancellationToken);
        var id = (await Api.BodyAsync(response)).GetProperty("id").GetGuid();

        var keyId = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM api_keys WHERE key_hash = @h", ("h", ApiKeyFormat.Hash(world.KeyA)));
        var (action, actorType, actor, key, details) = await EventAsync(id);
        Assert.Equal(("message_send", "agent", world.AgentA, keyId), (action, actorType, actor, key));
        Assert.DoesNotContain(content, details, StringComparison.Ordinal);
        var stored = JsonDocument.Parse(details).RootElement.GetProperty("new").GetProperty("content");
        Assert.Equal(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(content))).ToLowerInvariant(), stored.GetProperty("sha256").GetString());
        Assert.Equal(content.Length, stored.GetProperty("length").GetInt32());
        Assert.Contains(content, await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT content FROM agent_messages WHERE id = @id", ("id", id)),
            StringComparison.Ordinal); // positive control: the message itself keeps it
    }

    [Fact]
    public async Task A_key_never_reaches_another_projects_messages()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var (_, _, docsKey) = await world.SiblingProjectAsync(Db, Capability.Communicate);
        var docsMessage = await Tenants.PostMessageAsync(Db, docsKey, "Docs only.");
        var bMessage = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM agent_messages WHERE org_id = @b", ("b", world.OrgB));
        using var greeter = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;

        foreach (var id in new[] { docsMessage, bMessage })
        {
            await Api.ProblemAsync(await greeter.GetAsync($"api/v1/messages/{id}", ct), 404, "not-found");
        }

        var listed = Contents(await Api.BodyAsync(await greeter.GetAsync("api/v1/messages?limit=200", ct)));
        Assert.Equal(["Hello, project."], listed);
        // An agent of the docs project cannot address the website's agents either.
        using var writerClient = api.Client(docsKey);
        var problem = await Api.ProblemAsync(await writerClient.PostAsync("api/v1/messages", Api.Json(new { toAgent = "greeter", messageType = "note", content = "hi" }), ct),
            400, "invalid-request");
        Assert.True(problem.GetProperty("errors").TryGetProperty("toAgent", out _));
        // Positive control: the docs key reads its own project's message.
        Assert.Equal(["Docs only."], Contents(await Api.BodyAsync(await writerClient.GetAsync("api/v1/messages", ct))));
        using var bClient = api.Client(world.KeyB);
        Assert.Equal(HttpStatusCode.OK, (await bClient.GetAsync($"api/v1/messages/{bMessage}", ct)).StatusCode);
    }

    [Fact]
    public async Task Bad_requests_get_a_problem_that_names_the_cause_and_change_nothing()
    {
        var world = await TwoTenants.CreateAsync(Db);
        using var client = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;
        var before = await CountAsync(world.OrgA);

        await Api.ProblemAsync(await client.PostAsync("api/v1/messages", new StringContent("{\"messageType\":\"note\",\"content\":\"x\"}", Encoding.UTF8, "text/plain"), ct),
            415, "unsupported-media-type");
        await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson(new string(' ', 1_100_000)), ct), 413, "payload-too-large");
        await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson("{\"messageType\":"), ct), 400, "invalid-json");
        await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson("[1,2]"), ct), 400, "invalid-json");
        await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson(""), ct), 400, "invalid-json");
        await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson("{\"messageType\":\"a\",\"messageType\":\"b\",\"content\":\"x\"}"), ct), 400, "invalid-json");
        // Lone surrogate escapes, wherever they are (a value, an id, a date, a field's name), cannot be read as text.
        foreach (var broken in new[]
        {
            "{\"messageType\":\"note\",\"content\":\"\\ud800\"}",
            "{\"messageType\":\"note\",\"content\":\"x\",\"replyTo\":\"\\ud800\"}",
            "{\"messageType\":\"note\",\"content\":\"x\",\"metadata\":{\"\\udc00\":1}}",
            "{\"\\ud800\":1}",
        })
        {
            await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson(broken), ct), 400, "invalid-json");
        }

        using (var invalidUtf8 = new ByteArrayContent([.. "{\"messageType\":\"note\",\"content\":\""u8.ToArray(), 0xC3, 0x28, .. "\"}"u8.ToArray()]))
        {
            invalidUtf8.Headers.ContentType = new("application/json");
            await Api.ProblemAsync(await client.PostAsync("api/v1/messages", invalidUtf8, ct), 400, "invalid-json");
        }

        var fields = new (string Body, string Field)[]
        {
            ("{\"content\":\"x\"}", "messageType"),
            ("{\"messageType\":\"note\"}", "content"),
            ("{\"messageType\":\"Not A Type\",\"content\":\"x\"}", "messageType"),
            ("{\"messageType\":\"note\",\"content\":\"\"}", "content"),
            ("{\"messageType\":\"note\",\"content\":42}", "content"),
            ("{\"messageType\":\"note\",\"content\":\"a\\u0000b\"}", "content"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"toAgent\":\"nobody\"}", "toAgent"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"replyTo\":\"../../etc/passwd\"}", "replyTo"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"replyTo\":\"" + Guid.NewGuid() + "\"}", "replyTo"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"correlationId\":\"a\\nb\"}", "correlationId"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"metadata\":[1]}", "metadata"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"metadata\":{\"k\":\"\\u0000\"}}", "metadata"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"metadata\":{\"k\":\"" + new string('m', 17_000) + "\"}}", "metadata"),
            ("{\"messageType\":\"note\",\"content\":\"" + new string('c', MessageLimit + 1) + "\"}", "content"),
            ("{\"messageType\":\"note\",\"content\":\"x\",\"sender\":\"root\"}", "sender"),
        };
        foreach (var (body, field) in fields)
        {
            var problem = await Api.ProblemAsync(await client.PostAsync("api/v1/messages", Api.RawJson(body), ct), 400, "invalid-request");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body[..Math.Min(80, body.Length)]}: {problem}");
        }

        foreach (var query in new[] { "limit=0", "limit=201", "limit=abc", "after=-1", "after=x", "toMe=yes", "limit=1&limit=2" })
        {
            await Api.ProblemAsync(await client.GetAsync($"api/v1/messages?{query}", ct), 400, "invalid-request");
        }

        await Api.ProblemAsync(await client.GetAsync("api/v1/nothing-here", ct), 404, "not-found");
        await Api.ProblemAsync(await client.GetAsync("api/v1/messages/..%2F..%2Fetc%2Fpasswd", ct), 404, "not-found");
        await Api.ProblemAsync(await client.DeleteAsync("api/v1/messages", ct), 405, "method-not-allowed");
        Assert.Equal(before, await CountAsync(world.OrgA));

        // Positive control: a valid message goes in.
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("api/v1/messages", Api.Json(new { messageType = "note", content = "fine" }), ct)).StatusCode);
        Assert.Equal(before + 1, await CountAsync(world.OrgA));
    }

    private const int MessageLimit = 100_000;

    private static List<string?> Contents(JsonElement page) => [.. page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString())];

    private Task<long> CountAsync(Guid org) => Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM agent_messages WHERE org_id = @o", ("o", org));

    private async Task<(string Action, string ActorType, Guid Actor, Guid Key, string Details)> EventAsync(Guid entity)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Db.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT action, actor_type, actor_id, api_key_id, details::text FROM audit_events WHERE entity_id = @id", connection);
        command.Parameters.AddWithValue("id", entity.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetString(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetString(4));
    }
}
