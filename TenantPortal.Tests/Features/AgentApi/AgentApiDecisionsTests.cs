using System.Diagnostics;
using System.Net;
using System.Text.Json;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>Decisions through the agent API, over real HTTP: proposing, reading, waiting for a person, tenancy.</summary>
public sealed class AgentApiDecisionsTests(ApiApp api) : IClassFixture<ApiApp>
{
    private static readonly string[] RolloutOptions = ["roll out", "wait a week"];
    private static readonly string[] Regions = ["eu", "us"];
    private static readonly string[] RotateOptions = ["rotate", "keep"];
    private static readonly string[] OneOption = ["a"];

    private TestDatabase Db => api.Database;

    [Fact]
    public async Task A_proposal_is_pending_immutable_and_listed_with_its_project_only()
    {
        var world = await TwoTenants.CreateAsync(Db);
        using var greeter = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;
        var deadline = DateTimeOffset.UtcNow.AddDays(2);

        using var response = await greeter.PostAsync("api/v1/decisions", Api.Json(new
        {
            title = "  Roll out v2 to all customers  ", description = "Canary was clean for 24 h.", options = RolloutOptions,
            deadline, payload = new { release = "2.0.0", regions = Regions },
        }), ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var decision = await Api.BodyAsync(response);
        var id = decision.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/decisions/{id}", response.Headers.Location?.ToString());
        Assert.Equal(("pending", "Roll out v2 to all customers", "greeter"),
            (decision.GetProperty("status").GetString(), decision.GetProperty("title").GetString(), decision.GetProperty("proposedBy").GetString()));
        Assert.Equal(["roll out", "wait a week"], decision.GetProperty("options").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("2.0.0", decision.GetProperty("payload").GetProperty("release").GetString());
        Assert.Equal(JsonValueKind.Null, decision.GetProperty("decidedBy").ValueKind);

        var pending = await Api.BodyAsync(await greeter.GetAsync("api/v1/decisions?status=pending", ct));
        Assert.Equal(["Roll out v2 to all customers", "Ship the release?"],
            pending.GetProperty("decisions").EnumerateArray().Select(d => d.GetProperty("title").GetString()));
        Assert.Empty((await Api.BodyAsync(await greeter.GetAsync("api/v1/decisions?status=approved", ct))).GetProperty("decisions").EnumerateArray());

        // The proposal cannot be changed, even by the organization's owner.
        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Sql.ExecuteAsync(owner,
                "UPDATE decisions SET status = 'approved', chosen_option = 'roll out', rationale = 'ok' WHERE id = @id AND title <> ''; " +
                "UPDATE decisions SET title = 'Something else' WHERE id = @id", ("id", id)));
            Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState); // no UPDATE on title at all
        }

        // Nor by the role that owns the table (the routines' role, which the column grants do not restrict): the
        // trigger refuses it; and a decided decision stays as it was decided.
        var rewrite = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Sql.ExecuteAsync(Db.OwnerConnectionString,
            "UPDATE decisions SET title = 'Something else' WHERE id = @id", ("id", id)));
        Assert.Equal("decisions_proposal_immutable", rewrite.ConstraintName);
        Assert.Equal(1, await Sql.ExecuteAsync(Db.OwnerConnectionString, "UPDATE decisions SET status = 'expired' WHERE id = @id", ("id", id)));
        var redecide = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Sql.ExecuteAsync(Db.OwnerConnectionString,
            "UPDATE decisions SET status = 'pending' WHERE id = @id", ("id", id)));
        Assert.Equal("decisions_decided_once", redecide.ConstraintName);

        // B's decision is out of reach: 404 like an id that does not exist.
        var bDecision = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM decisions WHERE org_id = @b", ("b", world.OrgB));
        foreach (var target in new[] { bDecision.ToString(), Guid.NewGuid().ToString(), "..%2F..%2Fetc", "not-an-id" })
        {
            await Api.ProblemAsync(await greeter.GetAsync($"api/v1/decisions/{target}", ct), 404, "not-found");
        }

        using var bClient = api.Client(world.KeyB);
        Assert.Equal(HttpStatusCode.OK, (await bClient.GetAsync($"api/v1/decisions/{bDecision}", ct)).StatusCode); // positive control
    }

    [Fact]
    public async Task Invalid_proposals_name_their_fields()
    {
        var world = await TwoTenants.CreateAsync(Db);
        using var client = api.Client(world.KeyA);
        var ct = TestContext.Current.CancellationToken;
        var cases = new (object Body, string Field)[]
        {
            (new { options = new[] { "a" } }, "title"),
            (new { title = "   ", options = new[] { "a" } }, "title"),
            (new { title = new string('t', 201), options = new[] { "a" } }, "title"),
            (new { title = "t" }, "options"),
            (new { title = "t", options = Array.Empty<string>() }, "options"),
            (new { title = "t", options = new[] { "same", "same " } }, "options"),
            (new { title = "t", options = Enumerable.Range(0, 21).Select(i => $"o{i}").ToArray() }, "options"),
            (new { title = "t", options = new object[] { "a", 3 } }, "options[1]"),
            (new { title = "t", options = new[] { "a" }, deadline = "tomorrow" }, "deadline"),
            (new { title = "t", options = new[] { "a" }, deadline = DateTimeOffset.UtcNow.AddMinutes(-1) }, "deadline"),
            (new { title = "t", options = new[] { "a" }, payload = "rm -rf" }, "payload"),
        };
        foreach (var (body, field) in cases)
        {
            var problem = await Api.ProblemAsync(await client.PostAsync("api/v1/decisions", Api.Json(body), ct), 400, "invalid-request");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{JsonSerializer.Serialize(body)}: {problem}");
        }

        // A payload small as sent but larger than 16 KiB as stored (PostgreSQL writes 1e1000 out in full) is still a 400.
        var growing = "{\"title\":\"t\",\"options\":[\"a\"],\"payload\":{" + string.Join(',', Enumerable.Range(0, 20).Select(i => $"\"k{i}\":1e1000")) + "}}";
        var grown = await Api.ProblemAsync(await client.PostAsync("api/v1/decisions", Api.RawJson(growing), ct), 400, "invalid-request");
        Assert.True(grown.GetProperty("errors").TryGetProperty("payload", out _), grown.ToString());
        foreach (var broken in new[] { "{\"title\":\"t\",\"options\":[\"a\"],\"deadline\":\"\\ud800\\ud800\"}" })
        {
            await Api.ProblemAsync(await client.PostAsync("api/v1/decisions", Api.RawJson(broken), ct), 400, "invalid-json");
        }

        foreach (var query in new[] { "status=done", "limit=0" })
        {
            await Api.ProblemAsync(await client.GetAsync($"api/v1/decisions?{query}", ct), 400, "invalid-request");
        }

        await Api.ProblemAsync(await client.GetAsync($"api/v1/decisions/{Guid.NewGuid()}?waitSeconds=61", ct), 400, "invalid-request");
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM decisions WHERE org_id = @a", ("a", world.OrgA)));
    }

    [Fact]
    public async Task A_waiting_agent_learns_the_outcome_as_soon_as_a_person_decides_on_any_instance()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var ct = TestContext.Current.CancellationToken;
        await using var second = await AppProcess.StartHealthyAsync(Db);
        using var onFirst = api.Client(world.KeyA);
        using var onSecond = api.Client(world.KeyA, second);
        var id = (await Api.BodyAsync(await onFirst.PostAsync("api/v1/decisions",
            Api.Json(new { title = "Rotate the database password?", options = RotateOptions }), ct))).GetProperty("id").GetGuid();

        // A wait that ends with nobody deciding answers pending.
        var quiet = await Api.BodyAsync(await onFirst.GetAsync($"api/v1/decisions/{id}?waitSeconds=1", ct));
        Assert.Equal("pending", quiet.GetProperty("status").GetString());

        var clock = Stopwatch.StartNew();
        var waits = new[] { onFirst, onSecond }.Select(c => c.GetAsync($"api/v1/decisions/{id}?waitSeconds=60", ct)).ToArray();
        await Task.Delay(1500, ct);
        Assert.All(waits, w => Assert.False(w.IsCompleted)); // both are waiting
        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            Assert.Equal(1, await Sql.ExecuteAsync(owner,
                "UPDATE decisions SET status = 'approved', chosen_option = 'rotate', rationale = 'Overdue.' WHERE id = @id", ("id", id)));
        }

        var decidedAt = clock.Elapsed;
        foreach (var wait in waits)
        {
            var answered = await Api.BodyAsync(await wait);
            Assert.Equal(("approved", "rotate", "Overdue."),
                (answered.GetProperty("status").GetString(), answered.GetProperty("chosenOption").GetString(), answered.GetProperty("rationale").GetString()));
            Assert.Equal(world.OwnerA, answered.GetProperty("decidedBy").GetProperty("id").GetGuid());
        }

        // Answered by the notification, not by the end of the 60-second wait (generous bound for a loaded machine).
        Assert.True(clock.Elapsed - decidedAt < TimeSpan.FromSeconds(10), $"answered {clock.Elapsed - decidedAt} after the decision");

        // Decided once: a second decision is refused by the database, and both steps are on the audit trail.
        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            var again = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Sql.ExecuteAsync(owner,
                "UPDATE decisions SET status = 'rejected', chosen_option = NULL, rationale = 'No.' WHERE id = @id", ("id", id)));
            Assert.Equal("decisions_decided_once", again.ConstraintName);
        }

        var trail = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action || ':' || actor_type || ':' || (api_key_id IS NOT NULL) FROM audit_events WHERE entity_id = @id ORDER BY seq", ("id", id.ToString()));
        Assert.Equal(["decision_propose:agent:true", "decision_approve:human:false"], trail);
    }

    [Fact]
    public async Task A_key_without_manage_decisions_is_refused_by_the_api_and_by_the_database()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var talker = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, world.AgentA, "talker", "communicate");
        using var client = api.Client(talker);
        var problem = await Api.ProblemAsync(await client.PostAsync("api/v1/decisions", Api.Json(new { title = "t", options = OneOption }),
            TestContext.Current.CancellationToken), 403, "missing-capability");
        Assert.Equal("manage_decisions", problem.GetProperty("capability").GetString());

        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Tenants.ProposeDecisionAsync(Db, talker, "By hand", "a"));
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        Assert.NotEqual(Guid.Empty, await Tenants.ProposeDecisionAsync(Db, world.KeyA, "By hand", "a")); // positive control
    }
}
