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
        api.MapGet("/me", Me).WithName("GetMe").WithSummary("The agent, project, organization and key behind the request's key.")
            .Produces<MeResponse>();
        api.MapGet("/project", ProjectAsync).WithName("GetProject").WithSummary("The key's project and its agents' directory.")
            .WithMetadata(new RequiredCapability(Capability.ReadProject)).Produces<ProjectResponse>();
    }

    /// <summary>What the key's verification read along with the key: no query more.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<MeResponse> Me(AgentData data)
    {
        var agent = data.Agent;
        var profile = agent.Profile ?? throw new InvalidOperationException("An admitted agent has its profile.");
        return TypedResults.Json(new MeResponse(
            new AgentRef(agent.AgentId, profile.Name, profile.DisplayName),
            new ProjectRef(agent.ProjectId, profile.ProjectSlug, profile.ProjectName),
            agent.OrgId, agent.Capabilities,
            new KeyRef(agent.KeyId, profile.KeyPrefix, profile.KeyLastFour, profile.KeyExpiresAt)), ApiProblem.Json);
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
