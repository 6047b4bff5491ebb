using Microsoft.OpenApi;
using Npgsql;
using NpgsqlTypes;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// Meetings of a project's agents (<c>create_meetings</c>): an agent opens one with the agents it invites, the
/// participants post in it while it is open, and the organizer closes it. Every agent of the project whose key has the
/// capability reads its meetings; the database refuses a post by anyone else than a participant, and any post once
/// the meeting is closed.
/// </summary>
internal static class MeetingEndpoints
{
    public const int MaxParticipants = 50;

    public static readonly IReadOnlyList<string> Statuses = ["open", "closed"];

    public static void Map(RouteGroupBuilder api)
    {
        var meetings = api.MapGroup("/meetings").WithMetadata(new RequiredCapability(Capability.CreateMeetings)).WithTags("Meetings");
        meetings.MapPost("/", CreateAsync).WithName("CreateMeeting")
            .WithSummary("Opens a meeting with agents of the project (this agent organizes it and is always a participant).")
            .Accepts<CreateMeetingRequest>("application/json").Produces<MeetingResponse>(StatusCodes.Status201Created);
        meetings.MapGet("/", ListAsync).WithName("ListMeetings").WithSummary("The project's meetings, newest first.")
            .WithMetadata(
                new ApiQueryParameter("status", JsonSchemaType.String, "open or closed."),
                new ApiQueryParameter("mine", JsonSchemaType.Boolean, "true: only meetings this agent takes part in."),
                new ApiQueryParameter("limit", JsonSchemaType.Integer, "How many meetings, 1–200 (default 50)."))
            .Produces<MeetingPage>();
        meetings.MapGet("/{id}", GetAsync).WithName("GetMeeting").WithSummary("One meeting, with its participants.").Produces<MeetingResponse>();
        meetings.MapPost("/{id}/close", CloseAsync).WithName("CloseMeeting")
            .WithSummary("Closes the meeting (its organizer only); nobody posts in it afterwards. Closing a closed meeting changes nothing.")
            .WithMetadata(new ApiProblemResponse(403, "not-the-organizer: only the agent that opened the meeting closes it."))
            .Produces<MeetingResponse>();
        meetings.MapPost("/{id}/messages", PostAsync).WithName("PostMeetingMessage")
            .WithSummary("Says something in the meeting (its participants only, while it is open).")
            .WithMetadata(
                new ApiProblemResponse(403, "not-a-participant: this agent was not invited to the meeting."),
                new ApiProblemResponse(409, "meeting-closed: the meeting is closed."))
            .Accepts<PostMeetingMessageRequest>("application/json").Produces<MeetingMessageResponse>(StatusCodes.Status201Created);
        meetings.MapGet("/{id}/messages/{messageId}", GetMessageAsync).WithName("GetMeetingMessage")
            .WithSummary("One message of the meeting.").Produces<MeetingMessageResponse>();
        meetings.MapGet("/{id}/messages", MessagesAsync).WithName("ListMeetingMessages")
            .WithSummary("What was said in the meeting, in order, after a cursor.")
            .WithMetadata(
                new ApiQueryParameter("after", JsonSchemaType.String, "A cursor from an earlier answer (nextCursor, or a message's cursor); the start when absent."),
                new ApiQueryParameter("limit", JsonSchemaType.Integer, "How many messages, 1–200 (default 50)."))
            .Produces<MeetingMessagePage>();
    }

    private const string Columns = """
        m.id, m.status, m.title, m.agenda, m.scheduled_at, o.name,
        ARRAY(SELECT a.name FROM meeting_participants p JOIN agents a ON a.org_id = p.org_id AND a.id = p.agent_id
              WHERE p.org_id = m.org_id AND p.meeting_id = m.id ORDER BY a.name),
        m.created_at, m.closed_at
        FROM meetings m
        JOIN agents o ON o.org_id = m.org_id AND o.id = m.agent_id
        """;

    private const string MessageColumns = """
        x.id, x.seq, s.name, x.content, x.created_at
        FROM meeting_messages x
        JOIN agents s ON s.org_id = x.org_id AND s.id = x.agent_id
        """;

    private static async Task<IResult> CreateAsync(HttpContext http, AgentData data, TimeProvider time)
    {
        var (input, problem) = await JsonInput.ReadAsync(http.Request);
        if (input is null)
        {
            return problem!;
        }

        var title = input.String("title", 1, 200, required: true);
        var agenda = input.String("agenda", 0, 10_000, plain: false) ?? "";
        var participants = input.Strings("participants", 1, MaxParticipants, 1, 63, "Name each participant once.", required: true);

        var scheduledAt = input.Time("scheduledAt");
        var now = time.GetUtcNow();
        if (scheduledAt is DateTimeOffset at && (at < now.AddMinutes(-5) || at > now.AddYears(1)))
        {
            input.Fail("scheduledAt", "Must be now or later, and at most a year away.");
        }

        if (input.Problem() is { } invalid)
        {
            return invalid;
        }

        var agent = data.Agent;
        return await Idempotency.RunAsync(http, data, input, async (connection, ct) =>
        {
            var invited = await AgentData.ReadAllAsync(AgentData.Command(connection,
                "SELECT name, id FROM agents WHERE org_id = $1 AND project_id = $2 AND name = ANY ($3)", agent.OrgId, agent.ProjectId, participants!.ToArray()),
                reader => (Name: reader.GetString(0), Id: reader.GetGuid(1)), ct);
            var unknown = participants!.Except(invited.Select(i => i.Name), StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
            {
                return ApiProblem.Invalid("participants",
                    $"There is no agent named {string.Join(", ", unknown.Select(n => $"'{n}'"))} in this project; GET /api/v1/project lists them.");
            }

            var meetingId = await ScalarAsync<Guid>(AgentData.Command(connection, """
                INSERT INTO meetings (org_id, workspace_id, project_id, agent_id, api_key_id, title, agenda, scheduled_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                RETURNING id
                """, agent.OrgId, agent.WorkspaceId, agent.ProjectId, agent.AgentId, agent.KeyId, title!, agenda,
                AgentData.Typed(scheduledAt, NpgsqlDbType.TimestampTz)), ct);
            await using (var invite = AgentData.Command(connection, """
                INSERT INTO meeting_participants (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id)
                SELECT $1, $2, $3, $4, a, $5 FROM unnest($6::uuid[]) a
                """, agent.OrgId, agent.WorkspaceId, agent.ProjectId, meetingId, agent.KeyId,
                invited.Select(i => i.Id).Append(agent.AgentId).Distinct().ToArray()))
            {
                await invite.ExecuteNonQueryAsync(ct);
            }

            var meeting = await ReadAsync(connection, agent, meetingId, ct) ?? throw new InvalidOperationException("The new meeting was not found.");
            return WriteOutcome.Created(meeting, $"/api/v1/meetings/{meeting.Id}");
        }, atomic: true);
    }

    private static async Task<IResult> ListAsync(HttpContext http, AgentData data)
    {
        var query = new QueryInput(http.Request.Query);
        var status = query.OneOf("status", Statuses);
        var mine = query.Bool("mine");
        var limit = query.Int("limit", 1, 200, 50);
        if (query.Problem() is { } invalid)
        {
            return invalid;
        }

        var agent = data.Agent;
        var meetings = await data.RunAsync((connection, ct) => AgentData.ReadAllAsync(AgentData.Command(connection, $"""
                SELECT {Columns}
                WHERE m.org_id = $1 AND m.project_id = $2 AND ($3::text IS NULL OR m.status = $3)
                  AND (NOT $4 OR EXISTS (SELECT 1 FROM meeting_participants p WHERE p.org_id = m.org_id AND p.meeting_id = m.id AND p.agent_id = $5))
                ORDER BY m.created_at DESC, m.id
                LIMIT $6
                """, agent.OrgId, agent.ProjectId, AgentData.Typed(status, NpgsqlDbType.Text), mine, agent.AgentId, limit), Read, ct),
            http.RequestAborted);
        return TypedResults.Json(new MeetingPage(meetings), ApiProblem.Json);
    }

    private static async Task<IResult> GetAsync(HttpContext http, AgentData data, string id)
    {
        if (!Guid.TryParseExact(id, "D", out var meetingId))
        {
            return ApiProblem.NotFound("meeting");
        }

        var meeting = await data.RunAsync((connection, ct) => ReadAsync(connection, data.Agent, meetingId, ct), http.RequestAborted);
        return meeting is null ? ApiProblem.NotFound("meeting") : TypedResults.Json(meeting, ApiProblem.Json);
    }

    private static async Task<IResult> CloseAsync(HttpContext http, AgentData data, string id)
    {
        if (!Guid.TryParseExact(id, "D", out var meetingId))
        {
            return ApiProblem.NotFound("meeting");
        }

        var agent = data.Agent;
        return await data.RunAsync<IResult>(async (connection, ct) =>
        {
            var standing = await StandingAsync(connection, agent, meetingId, "m.agent_id = $4", ct);
            if (standing is null)
            {
                return ApiProblem.NotFound("meeting");
            }

            if (!standing.Entitled)
            {
                return ApiProblem.NotTheOrganizer();
            }

            if (standing.Status == "open")
            {
                // Row-level security lets only the organizer update it; a close that lost a race to another finds no open row.
                await using var close = AgentData.Command(connection,
                    "UPDATE meetings SET status = 'closed' WHERE org_id = $1 AND project_id = $2 AND id = $3 AND status = 'open'",
                    agent.OrgId, agent.ProjectId, meetingId);
                await close.ExecuteNonQueryAsync(ct);
            }

            return TypedResults.Json(await ReadAsync(connection, agent, meetingId, ct), ApiProblem.Json);
        }, http.RequestAborted);
    }

    /// <summary>A meeting's status and whether the agent passes <paramref name="entitled"/> (SQL over m, the agent's id as $4); null when there is no such meeting.</summary>
    private static Task<Standing?> StandingAsync(NpgsqlConnection connection, AgentActor agent, Guid meetingId, string entitled, CancellationToken cancellationToken) =>
        AgentData.ReadOneAsync(AgentData.Command(connection, $"SELECT m.status, {entitled} FROM meetings m WHERE m.org_id = $1 AND m.project_id = $2 AND m.id = $3",
            agent.OrgId, agent.ProjectId, meetingId, agent.AgentId), reader => new Standing(reader.GetString(0), reader.GetBoolean(1)), cancellationToken);

    private sealed record Standing(string Status, bool Entitled);

    private static async Task<IResult> PostAsync(HttpContext http, AgentData data, string id)
    {
        var (input, problem) = await JsonInput.ReadAsync(http.Request);
        if (input is null)
        {
            return problem!;
        }

        var content = input.String("content", 1, MessageEndpoints.MaxContent, required: true, trim: false, plain: false);
        if (input.Problem() is { } invalid)
        {
            return invalid;
        }

        if (!Guid.TryParseExact(id, "D", out var meetingId))
        {
            return ApiProblem.NotFound("meeting");
        }

        var agent = data.Agent;
        // The checks below give each refusal its answer; the table makes the same ones (a meeting closed between the
        // check and the insert is refused there, and the pipeline answers 409 alike).
        return await Idempotency.RunAsync(http, data, input, async (connection, ct) =>
        {
            var standing = await StandingAsync(connection, agent, meetingId,
                "EXISTS (SELECT 1 FROM meeting_participants p WHERE p.org_id = m.org_id AND p.meeting_id = m.id AND p.agent_id = $4)", ct);
            if (standing is null)
            {
                return ApiProblem.NotFound("meeting");
            }

            if (!standing.Entitled)
            {
                return ApiProblem.NotAParticipant();
            }

            if (standing.Status != "open")
            {
                return ApiProblem.MeetingClosed();
            }

            var message = await AgentData.ReadOneAsync(AgentData.Command(connection, $$"""
                WITH inserted AS (
                    INSERT INTO meeting_messages (org_id, workspace_id, project_id, meeting_id, agent_id, api_key_id, content)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    RETURNING *)
                SELECT {{MessageColumns.Replace("meeting_messages x", "inserted x", StringComparison.Ordinal)}}
                """, agent.OrgId, agent.WorkspaceId, agent.ProjectId, meetingId, agent.AgentId, agent.KeyId, content!), ReadMessage, ct)
                ?? throw new InvalidOperationException("The inserted message was not returned.");
            return WriteOutcome.Created(message, $"/api/v1/meetings/{meetingId}/messages/{message.Id}");
        });
    }

    private static async Task<IResult> MessagesAsync(HttpContext http, AgentData data, string id)
    {
        var query = new QueryInput(http.Request.Query);
        var after = query.Cursor("after");
        var limit = query.Int("limit", 1, 200, 50);
        if (query.Problem() is { } invalid)
        {
            return invalid;
        }

        if (!Guid.TryParseExact(id, "D", out var meetingId))
        {
            return ApiProblem.NotFound("meeting");
        }

        var agent = data.Agent;
        var messages = await data.RunAsync(async (connection, ct) =>
        {
            var exists = await ScalarAsync<bool>(AgentData.Command(connection,
                "SELECT EXISTS (SELECT 1 FROM meetings WHERE org_id = $1 AND project_id = $2 AND id = $3)", agent.OrgId, agent.ProjectId, meetingId), ct);
            return exists
                ? await AgentData.ReadAllAsync(AgentData.Command(connection, $"""
                    SELECT {MessageColumns}
                    WHERE x.org_id = $1 AND x.project_id = $2 AND x.meeting_id = $3 AND x.seq > $4
                    ORDER BY x.seq
                    LIMIT $5
                    """, agent.OrgId, agent.ProjectId, meetingId, after, limit), ReadMessage, ct)
                : null;
        }, http.RequestAborted);
        if (messages is null)
        {
            return ApiProblem.NotFound("meeting");
        }

        var next = messages.Count > 0 ? messages[^1].Cursor : after.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(new MeetingMessagePage(messages, next), ApiProblem.Json);
    }

    private static async Task<IResult> GetMessageAsync(HttpContext http, AgentData data, string id, string messageId)
    {
        if (!Guid.TryParseExact(id, "D", out var meetingId) || !Guid.TryParseExact(messageId, "D", out var message))
        {
            return ApiProblem.NotFound("meeting message");
        }

        var agent = data.Agent;
        var found = await data.RunAsync((connection, ct) => AgentData.ReadOneAsync(AgentData.Command(connection,
            $"SELECT {MessageColumns} WHERE x.org_id = $1 AND x.project_id = $2 AND x.meeting_id = $3 AND x.id = $4",
            agent.OrgId, agent.ProjectId, meetingId, message), ReadMessage, ct), http.RequestAborted);
        return found is null ? ApiProblem.NotFound("meeting message") : TypedResults.Json(found, ApiProblem.Json);
    }

    private static Task<MeetingResponse?> ReadAsync(NpgsqlConnection connection, AgentActor agent, Guid meetingId, CancellationToken cancellationToken) =>
        AgentData.ReadOneAsync(AgentData.Command(connection, $"SELECT {Columns} WHERE m.org_id = $1 AND m.project_id = $2 AND m.id = $3",
            agent.OrgId, agent.ProjectId, meetingId), Read, cancellationToken);

    private static async Task<T> ScalarAsync<T>(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command)
        {
            return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
    }

    private static MeetingResponse Read(NpgsqlDataReader reader) => new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetFieldValue<string[]>(6),
        reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));

    private static MeetingMessageResponse ReadMessage(NpgsqlDataReader reader) => new(reader.GetGuid(0),
        reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture), reader.GetString(2), reader.GetString(3),
        reader.GetFieldValue<DateTimeOffset>(4));
}

internal sealed record CreateMeetingRequest(string Title, IReadOnlyList<string> Participants, string? Agenda, DateTimeOffset? ScheduledAt);

internal sealed record PostMeetingMessageRequest(string Content);

/// <summary>A meeting: who organized it (an agent's name), who takes part (names, the organizer included), and whether it is still open.</summary>
internal sealed record MeetingResponse(Guid Id, string Status, string Title, string Agenda, DateTimeOffset? ScheduledAt, string Organizer,
    IReadOnlyList<string> Participants, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt);

internal sealed record MeetingPage(IReadOnlyList<MeetingResponse> Meetings);

/// <summary>Something said in a meeting; <see cref="Cursor"/> is its position (pass it as <c>after</c> to read on).</summary>
internal sealed record MeetingMessageResponse(Guid Id, string Cursor, string FromAgent, string Content, DateTimeOffset CreatedAt);

internal sealed record MeetingMessagePage(IReadOnlyList<MeetingMessageResponse> Messages, string NextCursor);
