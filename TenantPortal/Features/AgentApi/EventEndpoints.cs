using System.Globalization;
using System.Text.Json;
using Microsoft.OpenApi;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// <c>GET /events</c>: the key's project as a Server-Sent Events stream of what the key may see — messages to the agent
/// or to everyone (with <c>communicate</c>) and decisions changing state (with <c>manage_decisions</c>) — in feed
/// order. Each event's <c>id</c> is its feed position: a client that reconnects with <c>Last-Event-ID</c> (or
/// <c>?after=</c>) gets exactly what came after it. A decision that changed twice meanwhile is sent once, as it is now.
/// The stream wakes on the database's notification for the project (any instance), holds no connection while idle,
/// re-checks the key on every read (a revoked key ends it) and sends a comment every 15 seconds to keep proxies open.
/// </summary>
internal static class EventEndpoints
{
    private const int Batch = 100;

    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/events", StreamAsync).WithName("StreamEvents").WithTags("Events")
            .WithSummary("A Server-Sent Events stream of the project's messages to this agent or to everyone, and of its decisions changing state.")
            .WithMetadata(new ApiQueryParameter("after", JsonSchemaType.String,
                "Start after this event id (as Last-Event-ID does); without either, the stream starts with what happens next."))
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream");

    private static async Task StreamAsync(HttpContext http, AgentData data, ChangeSignals signals, TimeProvider time)
    {
        var query = new QueryInput(http.Request.Query);
        var after = query.Cursor("after");
        var lastEventId = http.Request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length > 0 && !long.TryParse(lastEventId, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            await ApiProblem.Invalid("Last-Event-ID", "Must be the id of an event this stream sent.").ExecuteAsync(http);
            return;
        }

        if (query.Problem() is { } invalid)
        {
            await invalid.ExecuteAsync(http);
            return;
        }

        var agent = data.Agent;
        var ct = http.RequestAborted;
        if (lastEventId.Length == 0 && string.IsNullOrEmpty(http.Request.Query["after"]))
        {
            after = await data.RunAsync((connection, token) => HeadAsync(connection, agent, token), ct);
        }

        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.WriteAsync(": stream of project events\n\n", ct);
        await response.Body.FlushAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            // Watched before reading, so a write that commits between the read and the wait is not missed.
            using var lease = signals.Watch(agent.ProjectId);
            var events = await data.RunAsync(async (connection, token) =>
            {
                // One snapshot for both reads: a message and a later decision change committing between them must not
                // let the cursor pass the message.
                await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token);
                var read = await ReadAsync(connection, agent, after, token);
                await snapshot.CommitAsync(token);
                return read;
            }, ct);
            foreach (var (seq, kind, body) in events)
            {
                await response.WriteAsync($"id: {seq.ToString(CultureInfo.InvariantCulture)}\nevent: {kind}\ndata: {body}\n\n", ct);
                after = seq;
            }

            await response.Body.FlushAsync(ct);
            if (events.Count == Batch)
            {
                continue;
            }

            if (!await lease.WaitAsync(KeepAlive, time, ct) && !ct.IsCancellationRequested)
            {
                await response.WriteAsync(": keep-alive\n\n", ct);
                await response.Body.FlushAsync(ct);
            }
        }
    }

    /// <summary>The feed's last position the agent can see now: a new stream starts after it.</summary>
    private static async Task<long> HeadAsync(Npgsql.NpgsqlConnection connection, TenantPortal.Tenancy.AgentActor agent, CancellationToken ct)
    {
        await using var command = AgentData.Command(connection, """
            SELECT greatest((SELECT max(seq) FROM agent_messages WHERE org_id = $1 AND project_id = $2),
                            (SELECT max(seq) FROM decisions WHERE org_id = $1 AND project_id = $2))
            """, agent.OrgId, agent.ProjectId);
        return await command.ExecuteScalarAsync(ct) is long head ? head : 0;
    }

    /// <summary>Up to <see cref="Batch"/> events after <paramref name="after"/>, in feed order, each as its JSON.</summary>
    private static async Task<List<(long Seq, string Kind, string Json)>> ReadAsync(Npgsql.NpgsqlConnection connection,
        TenantPortal.Tenancy.AgentActor agent, long after, CancellationToken ct)
    {
        var messages = await AgentData.ReadAllAsync(AgentData.Command(connection, $"""
            SELECT {MessageEndpoints.Columns}
            WHERE m.org_id = $1 AND m.project_id = $2 AND m.seq > $3 AND (m.to_agent_id IS NULL OR m.to_agent_id = $4) AND m.agent_id <> $4
            ORDER BY m.seq LIMIT {Batch}
            """, agent.OrgId, agent.ProjectId, after, agent.AgentId), MessageEndpoints.Read, ct);
        var decisions = await AgentData.ReadAllAsync(AgentData.Command(connection, $"""
            SELECT {DecisionEndpoints.Columns.Replace("d.created_at", "d.created_at, d.seq", StringComparison.Ordinal)}
            WHERE d.org_id = $1 AND d.project_id = $2 AND d.seq > $3
            ORDER BY d.seq LIMIT {Batch}
            """, agent.OrgId, agent.ProjectId, after), reader => (Seq: reader.GetInt64(14), Decision: DecisionEndpoints.Read(reader)), ct);
        return [.. messages.Select(m => (Seq: long.Parse(m.Cursor, CultureInfo.InvariantCulture), Kind: "message", Json: JsonSerializer.Serialize(m, ApiProblem.Json)))
            .Concat(decisions.Select(d => (d.Seq, Kind: "decision", Json: JsonSerializer.Serialize(d.Decision, ApiProblem.Json))))
            .OrderBy(e => e.Seq).Take(Batch)];
    }
}
