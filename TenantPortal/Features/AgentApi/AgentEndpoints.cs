using Npgsql;
using NpgsqlTypes;
using TenantPortal.Features.ApiKeys;

namespace TenantPortal.Features.AgentApi;

/// <summary><c>GET /me</c> and <c>GET /project</c>: who the key speaks for, and the project's agents to address.</summary>
internal static class AgentEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api = api.MapGroup("").WithTags("Agent");
        api.MapGet("/me", MeAsync).WithName("GetMe").WithSummary("The agent, project, organization and key behind the request's key.")
            .Produces<MeResponse>();
        api.MapGet("/project", ProjectAsync).WithName("GetProject").WithSummary("The key's project and its agents' directory.")
            .WithMetadata(new RequiredCapability(Capability.ReadProject)).Produces<ProjectResponse>();
    }

    private static async Task<IResult> MeAsync(HttpContext http, AgentData data)
    {
        var agent = data.Agent;
        var me = await data.RunAsync(async (connection, ct) =>
        {
            await using var command = AgentData.Command(connection, """
                SELECT a.name, a.display_name, p.slug, p.name, k.prefix, k.last_four, k.expires_at
                FROM agents a JOIN projects p ON p.org_id = a.org_id AND p.id = a.project_id CROSS JOIN app.current_agent_key() k
                WHERE a.org_id = $1 AND a.id = $2
                """, agent.OrgId, agent.AgentId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            return new MeResponse(
                new AgentRef(agent.AgentId, reader.GetString(0), reader.GetString(1)),
                new ProjectRef(agent.ProjectId, reader.GetString(2), reader.GetString(3)),
                agent.OrgId, agent.Capabilities,
                new KeyRef(agent.KeyId, reader.GetString(4), reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
        }, http.RequestAborted);
        return me is null ? ApiProblem.InvalidToken() : TypedResults.Json(me, ApiProblem.Json);
    }

    private static async Task<IResult> ProjectAsync(HttpContext http, AgentData data)
    {
        var agent = data.Agent;
        var project = await data.RunAsync(async (connection, ct) =>
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new("SELECT slug, name, description, status, tags, created_at FROM projects WHERE org_id = $1 AND id = $2")
                    {
                        Parameters = { new() { Value = agent.OrgId }, new() { Value = agent.ProjectId } },
                    },
                    new("SELECT name, display_name, status, description FROM agents WHERE org_id = $1 AND project_id = $2 AND status <> 'archived' ORDER BY name")
                    {
                        Parameters = { new() { Value = agent.OrgId }, new() { Value = agent.ProjectId } },
                    },
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            var (slug, name, description, status, tags, created) = (reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<DateTimeOffset>(5));
            await reader.NextResultAsync(ct);
            var agents = new List<DirectoryEntry>();
            while (await reader.ReadAsync(ct))
            {
                agents.Add(new DirectoryEntry(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
            }

            return new ProjectResponse(agent.ProjectId, slug, name, description, status, tags, created, agents);
        }, http.RequestAborted);
        return project is null ? ApiProblem.InvalidToken() : TypedResults.Json(project, ApiProblem.Json);
    }
}

internal sealed record AgentRef(Guid Id, string Name, string DisplayName);

internal sealed record ProjectRef(Guid Id, string Slug, string Name);

internal sealed record KeyRef(Guid Id, string Prefix, string LastFour, DateTimeOffset? ExpiresAt);

internal sealed record MeResponse(AgentRef Agent, ProjectRef Project, Guid OrganizationId, IReadOnlyList<string> Capabilities, KeyRef Key);

internal sealed record DirectoryEntry(string Name, string DisplayName, string Status, string? Description);

internal sealed record ProjectResponse(Guid Id, string Slug, string Name, string? Description, string Status, string[] Tags, DateTimeOffset CreatedAt,
    IReadOnlyList<DirectoryEntry> Agents);
