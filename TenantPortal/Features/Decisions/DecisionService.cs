using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Decisions;

/// <summary>A decision as a project's Decisions tab shows it.</summary>
public sealed record DecisionRow(Guid Id, Guid WorkspaceId, string Title, string Description, IReadOnlyList<string> Options, string Payload,
    DateTimeOffset? Deadline, string Status, string AgentName, string? KeyName, string? ChosenOption, string? Rationale, string? DecidedBy,
    DateTimeOffset? DecidedAt, DateTimeOffset CreatedAt);

/// <summary>
/// People's side of the decisions agents propose: the list of a project's, and approving or rejecting one. The
/// workspace's admins (and the organization's owners and admins) decide; the database checks the same and lets a
/// decision be decided once.
/// </summary>
public sealed class DecisionService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant)
{
    public const int MaxRationale = 2000;

    public const string AlreadyDecided = "Someone has decided this already; the list now shows the outcome.";

    public const string DecidersRule = "Only the admins of this workspace and the organization's owners and admins decide on its agents' proposals.";

    /// <summary>The project's decisions: pending ones first (oldest first, they have waited longest), then the rest, newest first.</summary>
    public async Task<List<DecisionRow>> ListAsync(Guid projectId, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<Decision>().Where(d => d.ProjectId == projectId)
            .OrderByDescending(d => d.Status == DecisionStatus.Pending)
            .ThenBy(d => d.Status == DecisionStatus.Pending ? d.CreatedAt : DateTimeOffset.MinValue)
            .ThenByDescending(d => d.CreatedAt)
            .Take(500)
            .Select(d => new
            {
                Decision = d,
                Agent = db.Agents.Where(a => a.Id == d.AgentId).Select(a => a.Name).Single(),
                Key = db.ApiKeys.Where(k => k.Id == d.ApiKeyId).Select(k => k.Name).SingleOrDefault(),
                DecidedBy = db.Users.Where(u => u.Id == d.DecidedBy).Select(u => u.DisplayName ?? u.Email).SingleOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new DecisionRow(r.Decision.Id, r.Decision.WorkspaceId, r.Decision.Title, r.Decision.Description, r.Decision.Options,
            r.Decision.Payload, r.Decision.Deadline, r.Decision.Status, r.Agent, r.Key, r.Decision.ChosenOption, r.Decision.Rationale, r.DecidedBy,
            r.Decision.DecidedAt, r.Decision.CreatedAt))];
    }

    /// <summary>Approves with one of the proposal's options; the rationale is optional.</summary>
    public Task<OperationResult> ApproveAsync(Guid id, string option, string? rationale, CancellationToken cancellationToken = default) =>
        DecideAsync(id, DecisionStatus.Approved, option, rationale, cancellationToken);

    /// <summary>Rejects; the rationale is required (the agent reads it).</summary>
    public Task<OperationResult> RejectAsync(Guid id, string rationale, CancellationToken cancellationToken = default) =>
        DecideAsync(id, DecisionStatus.Rejected, null, rationale, cancellationToken);

    private async Task<OperationResult> DecideAsync(Guid id, string status, string? option, string? rationale, CancellationToken cancellationToken)
    {
        tenant.RequireOrg();
        rationale = string.IsNullOrWhiteSpace(rationale) ? null : rationale.Trim();
        if (status == DecisionStatus.Rejected && rationale is null)
        {
            return OperationResult.Fail("Say why you reject it; the agent reads this.", "Rationale");
        }

        if (rationale?.Length > MaxRationale)
        {
            return OperationResult.Fail($"Use at most {MaxRationale:N0} characters.", "Rationale");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var decision = await db.Set<Decision>().AsNoTracking().Where(d => d.Id == id)
            .Select(d => new { d.WorkspaceId, d.Status, d.Options }).SingleOrDefaultAsync(cancellationToken);
        if (decision is null)
        {
            return OperationResult.Fail("This decision no longer exists, or you cannot see it.");
        }

        if (!tenant.IsWorkspaceAdmin(decision.WorkspaceId))
        {
            return OperationResult.Fail(DecidersRule);
        }

        if (status == DecisionStatus.Approved && (option is null || !decision.Options.Contains(option)))
        {
            return OperationResult.Fail("Choose one of the proposed options.", "Option");
        }

        // Two people at the same moment: the second waits for the first one's row lock, then finds the row decided
        // and changes nothing.
        var changed = false;
        var result = await OperationResult.RunAsync(async () =>
        {
            changed = await db.Set<Decision>()
                .Where(d => d.Id == id && (d.Status == DecisionStatus.Pending || d.Status == DecisionStatus.Deferred))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, status)
                    .SetProperty(d => d.ChosenOption, option)
                    .SetProperty(d => d.Rationale, rationale), cancellationToken) == 1;
            return true;
        }, DecidersRule);
        return !result.Succeeded || changed ? result : OperationResult.Fail(AlreadyDecided);
    }
}
