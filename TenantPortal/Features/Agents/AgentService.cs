using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Agents;

public sealed record AgentRow(Guid Id, string Name, string DisplayName, string? Description, string Status, int ActiveKeys,
    DateTimeOffset CreatedAt, DateTimeOffset? LastActivityAt);

/// <summary>The agents of a project; owners and admins change them, and the database enforces roles, limits and isolation too.</summary>
public sealed class AgentService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TimeProvider time)
{
    /// <summary>Agents of a project (null status: all but archived), optionally matching a text.</summary>
    public async Task<List<AgentRow>> ListAsync(Guid projectId, string? status = null, string? search = null, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var agents = db.Agents.Where(a => a.ProjectId == projectId);
        agents = string.IsNullOrEmpty(status) ? agents.Where(a => a.Status != AgentStatus.Archived)
            : status == "all" ? agents : agents.Where(a => a.Status == status);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var pattern = SqlText.ContainsPattern(search);
            agents = agents.Where(a => EF.Functions.ILike(a.Name, pattern, @"\") || EF.Functions.ILike(a.DisplayName, pattern, @"\")
                || EF.Functions.ILike(a.Description ?? "", pattern, @"\"));
        }

        return await agents.OrderBy(a => a.Name)
            .Select(a => new AgentRow(a.Id, a.Name, a.DisplayName, a.Description, a.Status,
                db.ApiKeys.Count(k => k.AgentId == a.Id && k.Status == ApiKeyStatus.Active && (k.ExpiresAt == null || k.ExpiresAt > now)),
                a.CreatedAt, a.LastActivityAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<Agent?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
    }

    public async Task<(OperationResult Result, Guid? Id)> CreateAsync(Guid projectId, AgentInput input, CancellationToken cancellationToken = default)
    {
        var orgId = tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var workspaceId = await db.Projects.Where(p => p.Id == projectId).Select(p => (Guid?)p.WorkspaceId).SingleOrDefaultAsync(cancellationToken);
        if (workspaceId is null)
        {
            return (OperationResult.Fail("This project no longer exists, or you cannot see it."), null);
        }

        if ((tenant.IsWorkspaceAdmin(workspaceId) ? OperationResult.Validate(input) : OperationResult.Fail(ManagersRule)) is OperationResult refused)
        {
            return (refused, null);
        }

        var agent = new Agent
        {
            OrgId = orgId,
            WorkspaceId = workspaceId.Value,
            ProjectId = projectId,
            Name = input.Name,
            DisplayName = input.DisplayName.Trim(),
            Description = Normalize(input.Description),
            Config = input.ConfigJson(),
            CreatedBy = tenant.UserId,
        };
        db.Agents.Add(agent);
        var result = await OperationResult.RunAsync(async () => await db.SaveChangesAsync(cancellationToken) == 1);
        return (result, result.Succeeded ? agent.Id : null);
    }

    public Task<OperationResult> UpdateAsync(Guid id, AgentInput input, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, input, workersMay: true, agents =>
        {
            // Runs once the input is valid, so its settings make a valid configuration.
            var config = input.ConfigJson();
            return agents.ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Name, input.Name)
                .SetProperty(a => a.DisplayName, input.DisplayName.Trim())
                .SetProperty(a => a.Description, Normalize(input.Description))
                .SetProperty(a => a.Config, config), cancellationToken);
        }, cancellationToken);

    public Task<OperationResult> SetStatusAsync(Guid id, string status, CancellationToken cancellationToken = default) =>
        AgentStatus.All.Contains(status)
            ? ChangeAsync(id, null, workersMay: true, agents => agents.ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, status), cancellationToken), cancellationToken)
            : Task.FromResult(OperationResult.Fail("Choose draft, active, inactive or archived.", "Status"));

    /// <summary>Deletes the agent and, with it, its keys (each recorded once, as deleted), when <paramref name="confirmation"/> repeats its name.</summary>
    public async Task<OperationResult> DeleteAsync(Guid id, string confirmation, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var name = await db.Agents.Where(a => a.Id == id).Select(a => a.Name).SingleOrDefaultAsync(cancellationToken);
        return name is null ? OperationResult.Fail("This agent no longer exists.")
            : OperationResult.Unconfirmed(confirmation, name) ?? await ChangeAsync(id, null, workersMay: false, agents => agents.ExecuteDeleteAsync(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Changes one agent once the caller is known to administer its workspace (or, where <paramref name="workersMay"/>, to
    /// work in it) and <paramref name="input"/>, if any, is valid; the database checks the same again.
    /// </summary>
    private async Task<OperationResult> ChangeAsync(Guid id, AgentInput? input, bool workersMay, Func<IQueryable<Agent>, Task<int>> change,
        CancellationToken cancellationToken)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await WorkspaceChange.RunAsync(db.Agents.Where(a => a.Id == id), a => a.WorkspaceId,
            w => workersMay ? tenant.CanWorkIn(w) : tenant.IsWorkspaceAdmin(w), workersMay ? WorkersRule : ManagersRule,
            "This agent no longer exists, or you cannot see it.", input, change, cancellationToken);
    }

    /// <summary>Who may create and delete agents, in the words a refusal uses.</summary>
    public const string ManagersRule = "Only the admins of this workspace and the organization's owners and admins can create or delete its agents.";

    /// <summary>Who may edit agents and change their status.</summary>
    public const string WorkersRule = "Only members and admins of this workspace and the organization's owners and admins can change its agents.";

    private static string? Normalize(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
