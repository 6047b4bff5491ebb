using System.Net;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>Idempotency keys and per-key rate limits of the agent API, over real HTTP.</summary>
public sealed class AgentApiLimitsTests(ApiApp api) : IClassFixture<ApiApp>
{
    private TestDatabase Db => api.Database;

    [Fact]
    public async Task Twenty_concurrent_identical_posts_with_one_idempotency_key_write_one_message()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var ct = TestContext.Current.CancellationToken;
        var key = Guid.NewGuid().ToString();
        const string Body = """{"messageType": "deploy.started", "content": "Deploying 2.4 now."}""";
        using var client = api.Client(world.KeyA);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/messages") { Content = Api.RawJson(Body) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request, ct);
            return (response.StatusCode, Replayed: response.Headers.Contains("Idempotent-Replayed"), Id: (await Api.BodyAsync(response)).GetProperty("id").GetGuid());
        }));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(responses.Select(r => r.Id).Distinct());
        Assert.Equal(19, responses.Count(r => r.Replayed));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM agent_messages WHERE org_id = @o AND content = 'Deploying 2.4 now.'", ("o", world.OrgA)));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM audit_events WHERE org_id = @o AND action = 'message_send' AND entity_id = @id", ("o", world.OrgA), ("id", responses[0].Id.ToString())));

        // The same key for another request is refused; another key (or none) writes again.
        using var other = new HttpRequestMessage(HttpMethod.Post, "api/v1/messages") { Content = Api.RawJson(Body.Replace("2.4", "2.5", StringComparison.Ordinal)) };
        other.Headers.Add("Idempotency-Key", key);
        await Api.ProblemAsync(await client.SendAsync(other, ct), 422, "idempotency-key-reused");
        using var samePathOtherEndpoint = new HttpRequestMessage(HttpMethod.Post, "api/v1/decisions") { Content = Api.Json(new { title = "t", options = Options }) };
        samePathOtherEndpoint.Headers.Add("Idempotency-Key", key);
        await Api.ProblemAsync(await client.SendAsync(samePathOtherEndpoint, ct), 422, "idempotency-key-reused");
        using var bad = new HttpRequestMessage(HttpMethod.Post, "api/v1/messages") { Content = Api.RawJson(Body) };
        bad.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        await Api.ProblemAsync(await client.SendAsync(bad, ct), 400, "invalid-request");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("api/v1/messages", Api.RawJson(Body), ct)).StatusCode);
        Assert.Equal(2L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM agent_messages WHERE org_id = @o AND content = 'Deploying 2.4 now.'", ("o", world.OrgA)));

        // Keys belong to one API key: B's agent may use the same Idempotency-Key for its own request.
        using var bClient = api.Client(world.KeyB);
        using var fromB = new HttpRequestMessage(HttpMethod.Post, "api/v1/messages") { Content = Api.RawJson(Body) };
        fromB.Headers.Add("Idempotency-Key", key);
        using var bResponse = await bClient.SendAsync(fromB, ct);
        Assert.Equal(HttpStatusCode.Created, bResponse.StatusCode);
        Assert.NotEqual(responses[0].Id, (await Api.BodyAsync(bResponse)).GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task A_request_that_fails_leaves_its_idempotency_key_free_for_the_corrected_repeat()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var ct = TestContext.Current.CancellationToken;
        using var client = api.Client(world.KeyA);
        var key = Guid.NewGuid().ToString();

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "api/v1/messages")
        {
            Content = Api.Json(new { messageType = "note", content = "hi", toAgent = "nobody" }),
        };
        wrong.Headers.Add("Idempotency-Key", key);
        await Api.ProblemAsync(await client.SendAsync(wrong, ct), 400, "invalid-request");
        using var corrected = new HttpRequestMessage(HttpMethod.Post, "api/v1/messages") { Content = Api.Json(new { messageType = "note", content = "hi" }) };
        corrected.Headers.Add("Idempotency-Key", key);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(corrected, ct)).StatusCode);
    }

    [Fact]
    public async Task A_key_over_its_limit_gets_429_on_any_instance_and_recovers_after_the_window()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var ct = TestContext.Current.CancellationToken;
        var limited = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, world.AgentA, "limited", Capability.Communicate);
        await Sql.ExecuteAsync(Db.AdminConnectionString, "UPDATE api_keys SET rate_limit_per_minute = 3 WHERE key_hash = @h", ("h", ApiKeyFormat.Hash(limited)));
        await using var second = await AppProcess.StartHealthyAsync(Db);
        using var onFirst = api.Client(limited);
        using var onSecond = api.Client(limited, second);
        if (DateTime.UtcNow.Second > 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second), ct); // four requests inside one minute
        }

        var remaining = new List<string>();
        foreach (var client in new[] { onFirst, onSecond, onFirst })
        {
            using var response = await client.GetAsync("api/v1/me", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("3", response.Headers.GetValues("RateLimit-Limit").Single());
            remaining.Add(response.Headers.GetValues("RateLimit-Remaining").Single());
        }

        Assert.Equal(["2", "1", "0"], remaining);
        using var refused = await onSecond.GetAsync("api/v1/me", ct);
        var problem = await Api.ProblemAsync(refused, 429, "rate-limited");
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("0", refused.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.Contains("3 requests a minute", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Positive control: the agent's other key has its own allowance.
        using var otherKey = api.Client(world.KeyA);
        Assert.Equal(HttpStatusCode.OK, (await otherKey.GetAsync("api/v1/me", ct)).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(retryAfter + 1), ct);
        using var recovered = await onFirst.GetAsync("api/v1/me", ct);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal("2", recovered.Headers.GetValues("RateLimit-Remaining").Single());
    }

    private static readonly string[] Options = ["a"];
}
