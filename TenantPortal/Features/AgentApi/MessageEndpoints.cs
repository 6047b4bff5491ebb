using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.OpenApi;
using Npgsql;
using NpgsqlTypes;
using TenantPortal.Features.ApiKeys;

namespace TenantPortal.Features.AgentApi;

/// <summary>Messages between the agents of a project (<c>communicate</c>): post one, read one, read the feed in order.</summary>
internal static partial class MessageEndpoints
{
    public const int MaxContent = 100_000;

    public static void Map(RouteGroupBuilder api)
    {
        var messages = api.MapGroup("/messages").WithMetadata(new RequiredCapability(Capability.Communicate)).WithTags("Messages");
        messages.MapPost("/", PostAsync).WithName("PostMessage")
            .WithSummary("Sends a message to one agent of the project (toAgent) or to the whole project.")
            .Accepts<PostMessageRequest>("application/json").Produces<MessageResponse>(StatusCodes.Status201Created);
        messages.MapGet("/", ListAsync).WithName("ListMessages")
            .WithSummary("The project's messages in order, after a cursor; toMe=true keeps those addressed to this agent or to everyone, sent by others.")
            .WithMetadata(
                new ApiQueryParameter("after", JsonSchemaType.String, "A cursor from an earlier answer (nextCursor, or a message's cursor); the start when absent."),
                new ApiQueryParameter("limit", JsonSchemaType.Integer, "How many messages, 1–200 (default 50)."),
                new ApiQueryParameter("toMe", JsonSchemaType.Boolean, "true: only messages to this agent or to everyone, sent by other agents."),
                new ApiQueryParameter("correlationId", JsonSchemaType.String, "Only messages with this correlation id."))
            .Produces<MessagePage>();
        messages.MapGet("/{id}", GetAsync).WithName("GetMessage").WithSummary("One message of the project.").Produces<MessageResponse>();
    }

    [GeneratedRegex("^[a-z][a-z0-9_.-]{0,62}$")]
    public static partial Regex MessageType();

    internal const string Columns = """
        m.id, m.seq, s.name, r.name, m.message_type, m.content, m.correlation_id, m.reply_to, m.metadata::text, m.created_at
        FROM agent_messages m
        JOIN agents s ON s.org_id = m.org_id AND s.id = m.agent_id
        LEFT JOIN agents r ON r.org_id = m.org_id AND r.id = m.to_agent_id
        """;

    private static async Task<IResult> PostAsync(HttpContext http, AgentData data)
    {
        var (input, problem) = await JsonInput.ReadAsync(http.Request);
        if (input is null)
        {
            return problem!;
        }

        var toAgent = input.String("toAgent", 1, 63);
        var type = input.String("messageType", 1, 63, required: true);
        if (type is not null && !MessageType().IsMatch(type))
        {
            input.Fail("messageType", "Use 1–63 lowercase letters, digits, dots, hyphens or underscores, starting with a letter (e.g. status.update).");
        }

        var content = input.String("content", 1, MaxContent, required: true, trim: false, plain: false);
        var correlationId = input.String("correlationId", 1, 200);
        var replyTo = input.Uuid("replyTo");
        var metadata = input.Object("metadata");
        if (input.Problem() is { } invalid)
        {
            return invalid;
        }

        var agent = data.Agent;
        // A reply to no message, or metadata larger once stored, is refused by the table: the pipeline names the field.
        return await Idempotency.RunAsync(http, data, input, async (connection, ct) =>
        {
            var message = await AgentData.ReadOneAsync(AgentData.Command(connection, $$"""
                WITH inserted AS (
                    INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, to_agent_id, message_type, content,
                                                correlation_id, reply_to, metadata)
                    SELECT $1, $2, $3, $4, $5, t.id, $7, $8, $9, $10, coalesce($11::jsonb, '{}')
                    FROM (SELECT 1) one LEFT JOIN agents t ON t.org_id = $1 AND t.project_id = $3 AND t.name = $6
                    WHERE $6::text IS NULL OR t.id IS NOT NULL
                    RETURNING *)
                SELECT {{Columns.Replace("agent_messages m", "inserted m", StringComparison.Ordinal)}}
                """,
                agent.OrgId, agent.WorkspaceId, agent.ProjectId, agent.AgentId, agent.KeyId, AgentData.Typed(toAgent, NpgsqlDbType.Text),
                type, content, AgentData.Typed(correlationId, NpgsqlDbType.Text), AgentData.Typed(replyTo, NpgsqlDbType.Uuid),
                AgentData.Typed(metadata, NpgsqlDbType.Text)), Read, ct);
            return message is null
                ? ApiProblem.Invalid("toAgent", $"There is no agent named '{toAgent}' in this project; GET /api/v1/project lists them.")
                : WriteOutcome.Created(message, $"/api/v1/messages/{message.Id}");
        });
    }

    private static async Task<IResult> GetAsync(HttpContext http, AgentData data, string id)
    {
        if (!Guid.TryParseExact(id, "D", out var messageId))
        {
            return ApiProblem.NotFound("message");
        }

        var agent = data.Agent;
        var message = await data.RunAsync((connection, ct) => AgentData.ReadOneAsync(AgentData.Command(connection,
            $"SELECT {Columns} WHERE m.org_id = $1 AND m.project_id = $2 AND m.id = $3", agent.OrgId, agent.ProjectId, messageId), Read, ct),
            http.RequestAborted);
        return message is null ? ApiProblem.NotFound("message") : TypedResults.Json(message, ApiProblem.Json);
    }

    private static async Task<IResult> ListAsync(HttpContext http, AgentData data)
    {
        var query = new QueryInput(http.Request.Query);
        var after = query.Cursor("after");
        var limit = query.Int("limit", 1, 200, 50);
        var toMe = query.Bool("toMe");
        var correlationId = query.Text("correlationId", 200);
        if (query.Problem() is { } invalid)
        {
            return invalid;
        }

        var agent = data.Agent;
        var messages = await data.RunAsync((connection, ct) => AgentData.ReadAllAsync(AgentData.Command(connection, $"""
                SELECT {Columns}
                WHERE m.org_id = $1 AND m.project_id = $2 AND m.seq > $3
                  AND (NOT $4 OR ((m.to_agent_id IS NULL OR m.to_agent_id = $5) AND m.agent_id <> $5))
                  AND ($6::text IS NULL OR m.correlation_id = $6)
                ORDER BY m.seq
                LIMIT $7
                """, agent.OrgId, agent.ProjectId, after, toMe, agent.AgentId, AgentData.Typed(correlationId, NpgsqlDbType.Text), limit), Read, ct),
            http.RequestAborted);
        var next = messages.Count > 0 ? messages[^1].Cursor : after.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(new MessagePage(messages, next), ApiProblem.Json);
    }

    internal static MessageResponse Read(NpgsqlDataReader reader)
    {
        using var metadata = JsonDocument.Parse(reader.GetString(8));
        return new MessageResponse(reader.GetGuid(0), reader.GetInt64(1).ToString(System.Globalization.CultureInfo.InvariantCulture), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetGuid(7), metadata.RootElement.Clone(), reader.GetFieldValue<DateTimeOffset>(9));
    }
}

internal sealed record PostMessageRequest(string MessageType, string Content, string? ToAgent, string? CorrelationId, Guid? ReplyTo, JsonElement? Metadata);

/// <summary>A message; <see cref="Cursor"/> is its position in the project's feed (pass it as <c>after</c> to read on).</summary>
internal sealed record MessageResponse(Guid Id, string Cursor, string FromAgent, string? ToAgent, string MessageType, string Content,
    string? CorrelationId, Guid? ReplyTo, JsonElement Metadata, DateTimeOffset CreatedAt);

internal sealed record MessagePage(IReadOnlyList<MessageResponse> Messages, string NextCursor);
