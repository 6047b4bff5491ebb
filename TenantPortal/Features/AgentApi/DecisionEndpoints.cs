using System.Text.Json;
using Microsoft.OpenApi;
using Npgsql;
using NpgsqlTypes;
using TenantPortal.Features.ApiKeys;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// Decisions an agent asks a person to take (<c>manage_decisions</c>): propose one, read it (waiting for the outcome if
/// asked), list the project's.
/// </summary>
internal static class DecisionEndpoints
{
    public static readonly IReadOnlyList<string> Statuses = ["pending", "approved", "rejected", "deferred", "expired"];

    public static void Map(RouteGroupBuilder api)
    {
        var decisions = api.MapGroup("/decisions").WithMetadata(new RequiredCapability(Capability.ManageDecisions)).WithTags("Decisions");
        decisions.MapPost("/", ProposeAsync).WithName("ProposeDecision")
            .WithSummary("Proposes a decision for a person to take; it is pending until someone approves or rejects it. The proposal never changes.")
            .Accepts<ProposeDecisionRequest>("application/json").Produces<DecisionResponse>(StatusCodes.Status201Created);
        decisions.MapGet("/", ListAsync).WithName("ListDecisions").WithSummary("The project's decisions, newest first, optionally of one status.")
            .WithMetadata(
                new ApiQueryParameter("status", JsonSchemaType.String, "pending, approved, rejected, deferred or expired."),
                new ApiQueryParameter("limit", JsonSchemaType.Integer, "How many decisions, 1–200 (default 50)."))
            .Produces<DecisionPage>();
        decisions.MapGet("/{id}", GetAsync).WithName("GetDecision")
            .WithSummary("One decision. With waitSeconds (1–60), answers as soon as it is no longer pending, or when the wait ends with it still pending.")
            .WithMetadata(new ApiQueryParameter("waitSeconds", JsonSchemaType.Integer, "Wait up to this many seconds (1–60) for a person to decide."))
            .Produces<DecisionResponse>();
    }

    internal const string Columns = """
        d.id, d.status, d.title, d.description, d.options, d.payload::text, d.deadline, a.name, d.chosen_option, d.rationale,
        d.decided_by, u.display_name, d.decided_at, d.created_at
        FROM decisions d
        JOIN agents a ON a.org_id = d.org_id AND a.id = d.agent_id
        LEFT JOIN users u ON u.id = d.decided_by
        """;

    private static async Task<IResult> ProposeAsync(HttpContext http, AgentData data, TimeProvider time)
    {
        var (input, problem) = await JsonInput.ReadAsync(http.Request);
        if (input is null)
        {
            return problem!;
        }

        var title = input.String("title", 1, 200, required: true);
        var description = input.String("description", 0, 10_000, plain: false) ?? "";
        var options = input.Strings("options", 1, 20, 1, 100, "Each option must be different.", required: true);

        var deadline = input.Time("deadline");
        var now = time.GetUtcNow();
        if (deadline is DateTimeOffset due && (due <= now || due > now.AddYears(1)))
        {
            input.Fail("deadline", "Must be in the future, and at most a year away.");
        }

        var payload = input.Object("payload");
        if (input.Problem() is { } invalid)
        {
            return invalid;
        }

        var agent = data.Agent;
        // A payload larger once stored than sent is refused by the table: the pipeline names the field.
        return await Idempotency.RunAsync(http, data, input, async (connection, ct) =>
        {
            var decision = await AgentData.ReadOneAsync(AgentData.Command(connection, $$"""
                WITH inserted AS (
                    INSERT INTO decisions (org_id, workspace_id, project_id, agent_id, api_key_id, title, description, options, deadline, payload)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10::jsonb, '{}'))
                    RETURNING *)
                SELECT {{Columns.Replace("decisions d", "inserted d", StringComparison.Ordinal)}}
                """, agent.OrgId, agent.WorkspaceId, agent.ProjectId, agent.AgentId, agent.KeyId, title!, description, options!.ToArray(),
                AgentData.Typed(deadline, NpgsqlDbType.TimestampTz), AgentData.Typed(payload, NpgsqlDbType.Text)), Read, ct)
                ?? throw new InvalidOperationException("The inserted decision was not returned.");
            return WriteOutcome.Created(decision, $"/api/v1/decisions/{decision.Id}");
        });
    }

    private static async Task<IResult> GetAsync(HttpContext http, AgentData data, ChangeSignals signals, TimeProvider time, string id)
    {
        var query = new QueryInput(http.Request.Query);
        var waitSeconds = query.Int("waitSeconds", 1, 60, 0);
        if (query.Problem() is { } invalid)
        {
            return invalid;
        }

        if (!Guid.TryParseExact(id, "D", out var decisionId))
        {
            return ApiProblem.NotFound("decision");
        }

        var until = time.GetUtcNow().AddSeconds(waitSeconds);
        while (true)
        {
            // Watched before reading, so a change that commits between the read and the wait is not missed.
            using var lease = waitSeconds > 0 ? signals.Watch(decisionId) : null;
            var decision = await ReadAsync(data, decisionId, http.RequestAborted);
            var remaining = until - time.GetUtcNow();
            if (decision is null || decision.Status != "pending" || lease is null || remaining <= TimeSpan.Zero)
            {
                return decision is null ? ApiProblem.NotFound("decision") : TypedResults.Json(decision, ApiProblem.Json);
            }

            await lease.WaitAsync(remaining, time, http.RequestAborted);
            http.RequestAborted.ThrowIfCancellationRequested();
        }
    }

    private static Task<DecisionResponse?> ReadAsync(AgentData data, Guid decisionId, CancellationToken cancellationToken)
    {
        var agent = data.Agent;
        return data.RunAsync((connection, ct) => AgentData.ReadOneAsync(AgentData.Command(connection,
            $"SELECT {Columns} WHERE d.org_id = $1 AND d.project_id = $2 AND d.id = $3", agent.OrgId, agent.ProjectId, decisionId), Read, ct),
            cancellationToken);
    }

    private static async Task<IResult> ListAsync(HttpContext http, AgentData data)
    {
        var query = new QueryInput(http.Request.Query);
        var status = query.OneOf("status", Statuses);
        var limit = query.Int("limit", 1, 200, 50);
        if (query.Problem() is { } invalid)
        {
            return invalid;
        }

        var agent = data.Agent;
        var decisions = await data.RunAsync((connection, ct) => AgentData.ReadAllAsync(AgentData.Command(connection, $"""
                SELECT {Columns}
                WHERE d.org_id = $1 AND d.project_id = $2 AND ($3::text IS NULL OR d.status = $3)
                ORDER BY d.created_at DESC, d.id
                LIMIT $4
                """, agent.OrgId, agent.ProjectId, AgentData.Typed(status, NpgsqlDbType.Text), limit), Read, ct), http.RequestAborted);
        return TypedResults.Json(new DecisionPage(decisions), ApiProblem.Json);
    }

    internal static DecisionResponse Read(NpgsqlDataReader reader)
    {
        using var payload = JsonDocument.Parse(reader.GetString(5));
        return new DecisionResponse(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<string[]>(4),
            payload.RootElement.Clone(), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
            reader.IsDBNull(10) ? null : new PersonRef(reader.GetGuid(10), reader.IsDBNull(11) ? null : reader.GetString(11)),
            reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12), reader.GetFieldValue<DateTimeOffset>(13));
    }
}

internal sealed record ProposeDecisionRequest(string Title, string? Description, IReadOnlyList<string> Options, DateTimeOffset? Deadline, JsonElement? Payload);

internal sealed record PersonRef(Guid Id, string? DisplayName);

/// <summary>A decision: the proposal as the agent made it, and the outcome once a person decided.</summary>
internal sealed record DecisionResponse(Guid Id, string Status, string Title, string Description, IReadOnlyList<string> Options, JsonElement Payload,
    DateTimeOffset? Deadline, string ProposedBy, string? ChosenOption, string? Rationale, PersonRef? DecidedBy, DateTimeOffset? DecidedAt,
    DateTimeOffset CreatedAt);

internal sealed record DecisionPage(IReadOnlyList<DecisionResponse> Decisions);
