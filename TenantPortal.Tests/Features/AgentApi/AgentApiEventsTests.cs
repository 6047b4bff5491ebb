using System.Net;
using System.Text.Json;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>The agent API's Server-Sent Events stream, over real HTTP: what a key may see, in order, resumable, ended by revocation.</summary>
public sealed class AgentApiEventsTests(ApiApp api) : IClassFixture<ApiApp>
{
    private TestDatabase Db => api.Database;

    [Fact]
    public async Task The_stream_resumes_after_a_dropped_connection_without_losing_or_repeating_events()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var scribe = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, "scribe");
        var scribeKey = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, scribe, "scribe", Capability.Communicate);
        var ct = TestContext.Current.CancellationToken;
        using var greeter = api.Client(world.KeyA);
        using var scribeClient = api.Client(scribeKey);

        string lastId;
        await using (var stream = await EventStream.OpenAsync(greeter, null, ct))
        {
            await Post(scribeClient, "first", toAgent: "greeter");
            await Post(scribeClient, "second");
            await Post(scribeClient, "between others", toAgent: "scribe"); // not to the greeter: not in its stream
            var events = await stream.ReadAsync(2, ct);
            Assert.Equal([("message", "first"), ("message", "second")], events.Select(e => (e.Kind, Content(e))));
            lastId = events[^1].Id;
        }

        // While nobody listens: two more messages and a person's decision on the greeter's proposal.
        await Post(scribeClient, "third");
        await Post(scribeClient, "fourth", toAgent: "greeter");
        var proposal = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM decisions WHERE org_id = @o", ("o", world.OrgA));
        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            await Sql.ExecuteAsync(owner, "UPDATE decisions SET status = 'rejected', rationale = 'Not this week.' WHERE id = @id", ("id", proposal));
        }

        await using (var resumed = await EventStream.OpenAsync(greeter, lastId, ct))
        {
            var events = await resumed.ReadAsync(3, ct);
            Assert.Equal(["message:third", "message:fourth", "decision:rejected"],
                events.Select(e => e.Kind + ":" + (e.Kind == "message" ? Content(e) : e.Data.GetProperty("status").GetString())));
            Assert.True(events.Select(e => long.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture)).SequenceEqual(
                events.Select(e => long.Parse(e.Id, System.Globalization.CultureInfo.InvariantCulture)).Order()));

            // Live: a new message arrives on the open stream, and nothing was repeated before it. Within 5 seconds: the
            // notification brings it, not the stream's 15-second keep-alive.
            await Post(scribeClient, "fifth");
            Assert.Equal("fifth", Content(Assert.Single(await resumed.ReadAsync(1, ct, seconds: 5))));
        }
    }

    [Fact]
    public async Task A_key_sees_only_what_its_capabilities_allow_and_a_revoked_key_ends_its_stream()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var ct = TestContext.Current.CancellationToken;
        var talker = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, world.AgentA, "talker", Capability.Communicate);
        var scribe = await Tenants.CreateAgentAsync(Db, world.OwnerA, world.OrgA, world.ProjectA, "scribe");
        var scribeKey = await Tenants.CreateApiKeyAsync(Db, world.OwnerA, world.OrgA, scribe, "scribe", Capability.Communicate, Capability.ManageDecisions);
        using var talkerClient = api.Client(talker);
        using var scribeClient = api.Client(scribeKey);

        // From the start of the feed: the agent's own message and every decision (the key lacks manage_decisions) are
        // left out, so the first event is the scribe's message, after the scribe's proposal.
        await using var stream = await EventStream.OpenAsync(talkerClient, "0", ct);
        await scribeClient.PostAsync("api/v1/decisions", Api.Json(new { title = "Hidden from the talker", options = Options }), ct);
        await Post(scribeClient, "visible");
        Assert.Equal("visible", Content(Assert.Single(await stream.ReadAsync(1, ct))));
        // Positive control: a key with manage_decisions sees the proposal in its stream.
        await using (var scribeStream = await EventStream.OpenAsync(scribeClient, "0", ct))
        {
            var first = (await scribeStream.ReadAsync(2, ct)).Select(e => e.Kind).ToList();
            Assert.Equal(["message", "decision"], first); // the greeter's hello, then its proposal (TwoTenants)
        }


        await Sql.ExecuteAsync(Db.AdminConnectionString, "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoke_reason = 'gone' WHERE key_hash = @h",
            ("h", ApiKeyFormat.Hash(talker)));
        await Post(scribeClient, "after the revocation");
        Assert.True(await stream.EndsAsync(ct), "the stream of a revoked key goes on");
        await Api.ProblemAsync(await talkerClient.GetAsync("api/v1/events", ct), 401, "invalid-token");
    }

    private static readonly string[] Options = ["a"];

    private static string? Content(SseEvent e) => e.Data.GetProperty("content").GetString();

    private static async Task Post(HttpClient client, string content, string? toAgent = null)
    {
        using var response = await client.PostAsync("api/v1/messages", Api.Json(new { messageType = "note", content, toAgent }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private sealed record SseEvent(string Id, string Kind, JsonElement Data);

    /// <summary>A Server-Sent Events reader over one HTTP response.</summary>
    private sealed class EventStream(HttpResponseMessage response, StreamReader reader) : IAsyncDisposable
    {
        public static async Task<EventStream> OpenAsync(HttpClient client, string? lastEventId, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/events");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            var stream = new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync(ct)));
            return stream;
        }

        /// <summary>The next <paramref name="count"/> events (comments skipped), within <paramref name="seconds"/>.</summary>
        public async Task<List<SseEvent>> ReadAsync(int count, CancellationToken ct, int seconds = 20)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
            var events = new List<SseEvent>();
            string? id = null, kind = null, data = null;
            while (events.Count < count)
            {
                var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("The stream ended.");
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        using var document = JsonDocument.Parse(data);
                        events.Add(new SseEvent(id!, kind!, document.RootElement.Clone()));
                    }

                    (id, kind, data) = (null, null, null);
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            }

            return events;
        }

        /// <summary>True when the server ends the stream (or breaks it) within 20 seconds, without another event.</summary>
        public async Task<bool> EndsAsync(CancellationToken ct)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(20));
            try
            {
                while (await reader.ReadLineAsync(timeout.Token) is string line)
                {
                    Assert.False(line.StartsWith("data: ", StringComparison.Ordinal), $"an event after the revocation: {line}");
                }

                return true;
            }
            catch (IOException)
            {
                return true;
            }
            catch (HttpRequestException)
            {
                return true;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return false;
            }
        }

        public ValueTask DisposeAsync()
        {
            reader.Dispose();
            response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
