using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.ApiKeys;

public sealed record ApiKeyRow(Guid Id, string Name, string Display, Guid ProjectId, string ProjectName, Guid AgentId, string AgentName,
    IReadOnlyList<string> Capabilities, string Status, string? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt, Guid? ReplacedBy, string? RevokeReason, int RateLimitPerMinute = ApiKey.DefaultRateLimit);

/// <summary>Which keys the organization-wide review shows.</summary>
public enum KeyReview
{
    All,
    ExpiringWithin7Days,
    NeverUsed,
    UnusedFor30Days,
}

/// <summary>The key just created: shown once, never stored.</summary>
public sealed record NewApiKey(Guid Id, string Key);

/// <summary>Issuing, listing, revoking and rolling the API keys of a project's agents, by the admins of its workspace.</summary>
public sealed class ApiKeyService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TimeProvider time)
{
    public static readonly IReadOnlyList<int?> ExpiryDays = [null, 30, 90, 365];

    public static readonly IReadOnlyList<TimeSpan> GracePeriods = [TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(24), TimeSpan.FromDays(7)];

    public const string NameRule = "Use 2–50 lowercase letters, digits or underscores; start with a letter and end with a letter or digit.";

    /// <summary>The keys of one project (newest first), with their effective status.</summary>
    public Task<List<ApiKeyRow>> ListAsync(Guid projectId, CancellationToken cancellationToken = default) =>
        QueryAsync(keys => keys.Where(k => k.ProjectId == projectId), cancellationToken);

    /// <summary>Every key of the organization, for owners and admins, narrowed by a review filter and a capability.</summary>
    public Task<List<ApiKeyRow>> ReviewAsync(KeyReview review, string? capability = null, CancellationToken cancellationToken = default)
    {
        if (!tenant.CanManage)
        {
            return Task.FromResult(new List<ApiKeyRow>());
        }

        var now = time.GetUtcNow();
        var (soon, monthAgo) = (now.AddDays(7), now.AddDays(-30));
        return QueryAsync(keys =>
        {
            keys = keys.Where(k => k.Status == ApiKeyStatus.Active);
            keys = review switch
            {
                KeyReview.ExpiringWithin7Days => keys.Where(k => k.ExpiresAt != null && k.ExpiresAt > now && k.ExpiresAt <= soon),
                KeyReview.NeverUsed => keys.Where(k => k.LastUsedAt == null),
                KeyReview.UnusedFor30Days => keys.Where(k => (k.LastUsedAt ?? k.CreatedAt) < monthAgo),
                _ => keys,
            };
            return string.IsNullOrEmpty(capability) ? keys : keys.Where(k => k.Capabilities.Contains(capability));
        }, cancellationToken);
    }

    /// <summary>Issues a key for an agent; the key is in the result once and nowhere else.</summary>
    public async Task<(OperationResult Result, NewApiKey? Key)> CreateAsync(Guid agentId, string name, IReadOnlyCollection<string> capabilities,
        DateTimeOffset? expiresAt, int rateLimitPerMinute = ApiKey.DefaultRateLimit, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (RateLimitProblem(rateLimitPerMinute) is OperationResult badLimit)
        {
            return (badLimit, null);
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(name ?? "", "^[a-z][a-z0-9_]*[a-z0-9]$") || name!.Length > 50)
        {
            return (OperationResult.Fail(NameRule, "Name"), null);
        }

        if (capabilities.Count == 0 || capabilities.Any(c => !Capability.All.Contains(c)))
        {
            return (OperationResult.Fail("Choose at least one capability.", "Capabilities"), null);
        }

        if (expiresAt is DateTimeOffset expiry && expiry <= time.GetUtcNow())
        {
            return (OperationResult.Fail("Choose an expiry date in the future.", "ExpiresAt"), null);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var agent = await db.Agents.AsNoTracking().SingleOrDefaultAsync(a => a.Id == agentId, cancellationToken);
        if (agent is null)
        {
            return (OperationResult.Fail("This agent no longer exists, or you cannot see it."), null);
        }

        if (Refuse(agent.WorkspaceId) is OperationResult refused)
        {
            return (refused, null);
        }

        var key = NewKey(agent, name, [.. capabilities.Distinct()], expiresAt, rateLimitPerMinute);
        db.ApiKeys.Add(key.Row);
        var result = await OperationResult.RunAsync(async () => await db.SaveChangesAsync(cancellationToken) == 1);
        return result.Succeeded ? (result, new NewApiKey(key.Row.Id, key.Key)) : (result, null);
    }

    /// <summary>
    /// Turns an active key off (<paramref name="disable"/>) or a disabled one back on. A disabled key does not verify
    /// until it is enabled again; unlike revoking, nothing about it is final. Recorded as api_key_disable / _enable.
    /// </summary>
    public async Task<OperationResult> SetDisabledAsync(Guid id, bool disable, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var workspaceId = await db.ApiKeys.Where(k => k.Id == id).Select(k => (Guid?)k.WorkspaceId).SingleOrDefaultAsync(cancellationToken);
        if (Refuse(workspaceId) is OperationResult refused)
        {
            return refused;
        }

        var (from, to) = disable ? (ApiKeyStatus.Active, ApiKeyStatus.Disabled) : (ApiKeyStatus.Disabled, ApiKeyStatus.Active);
        return await OperationResult.RunAsync(async () => await db.ApiKeys.Where(k => k.Id == id && k.Status == from)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Status, to), cancellationToken) == 1);
    }

    /// <summary>Sets how many requests a minute the key may make (1–100,000); its agent gets 429 above it.</summary>
    public async Task<OperationResult> SetRateLimitAsync(Guid id, int rateLimitPerMinute, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (RateLimitProblem(rateLimitPerMinute) is OperationResult badLimit)
        {
            return badLimit;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var workspaceId = await db.ApiKeys.Where(k => k.Id == id).Select(k => (Guid?)k.WorkspaceId).SingleOrDefaultAsync(cancellationToken);
        if (Refuse(workspaceId) is OperationResult refused)
        {
            return refused;
        }

        return await OperationResult.RunAsync(async () => await db.ApiKeys.Where(k => k.Id == id && k.Status != ApiKeyStatus.Revoked)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RateLimitPerMinute, rateLimitPerMinute), cancellationToken) == 1);
    }

    private static OperationResult? RateLimitProblem(int rateLimitPerMinute) => rateLimitPerMinute is >= 1 and <= ApiKey.MaxRateLimit ? null
        : OperationResult.Fail($"Choose from 1 to {ApiKey.MaxRateLimit:N0} requests a minute.", "RateLimit");

    /// <summary>Revokes an active or disabled key at once; the reason is kept with it.</summary>
    public async Task<OperationResult> RevokeAsync(Guid id, string reason, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        reason = (reason ?? "").Trim();
        if (reason.Length is 0 or > 500)
        {
            return OperationResult.Fail(reason.Length == 0 ? "Say why the key is revoked; the reason stays with it." : "Use at most 500 characters.", "Reason");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var workspaceId = await db.ApiKeys.Where(k => k.Id == id).Select(k => (Guid?)k.WorkspaceId).SingleOrDefaultAsync(cancellationToken);
        if (Refuse(workspaceId) is OperationResult refused)
        {
            return refused;
        }

        return await OperationResult.RunAsync(async () => await db.ApiKeys
            .Where(k => k.Id == id && (k.Status == ApiKeyStatus.Active || k.Status == ApiKeyStatus.Disabled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(k => k.Status, ApiKeyStatus.Revoked)
                .SetProperty(k => k.RevokedAt, time.GetUtcNow())
                .SetProperty(k => k.RevokedBy, tenant.UserId)
                .SetProperty(k => k.RevokeReason, reason), cancellationToken) == 1);
    }

    /// <summary>
    /// Replaces a key with a new one of the same name, agent, capabilities and lifetime; the old key keeps working for
    /// <paramref name="grace"/> (or stops at once when it is zero).
    /// </summary>
    public async Task<(OperationResult Result, NewApiKey? Key)> RollAsync(Guid id, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (!GracePeriods.Contains(grace))
        {
            return (OperationResult.Fail("Choose immediately, 1 hour, 24 hours or 7 days.", "Grace"), null);
        }

        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var old = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (old is not null && Refuse(old.WorkspaceId) is OperationResult refused)
        {
            return (refused, null);
        }

        if (old is null || old.EffectiveStatus(now) != ApiKeyStatus.Active || old.ReplacedBy is not null)
        {
            return (OperationResult.Fail("Only an active key that has not been rolled yet can be rolled."), null);
        }

        var agent = await db.Agents.AsNoTracking().SingleAsync(a => a.Id == old.AgentId, cancellationToken);
        var key = NewKey(agent, old.Name, old.Capabilities, old.ExpiresAt is DateTimeOffset expires ? now + (expires - old.CreatedAt) : null,
            old.RateLimitPerMinute);
        var oldExpiry = old.ExpiresAt is DateTimeOffset current && current < now + grace ? current : now + grace;
        var result = await OperationResult.RunAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // The old key gives up its name first, so the new one can take it.
            var rolled = await db.ApiKeys.Where(k => k.Id == id && k.ReplacedBy == null && k.Status == ApiKeyStatus.Active)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.ReplacedBy, key.Row.Id).SetProperty(k => k.ExpiresAt, oldExpiry), cancellationToken) == 1;
            if (!rolled)
            {
                return false;
            }

            db.ApiKeys.Add(key.Row);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        });
        return result.Succeeded ? (result, new NewApiKey(key.Row.Id, key.Key)) : (result, null);
    }

    private (ApiKey Row, string Key) NewKey(Agents.Agent agent, string name, List<string> capabilities, DateTimeOffset? expiresAt, int rateLimitPerMinute)
    {
        var generated = ApiKeyFormat.Generate(agent.ProjectId, agent.Id);
        return (new ApiKey
        {
            OrgId = agent.OrgId,
            WorkspaceId = agent.WorkspaceId,
            ProjectId = agent.ProjectId,
            AgentId = agent.Id,
            Id = Guid.NewGuid(),
            Name = name,
            KeyHash = generated.Hash,
            Prefix = generated.Prefix,
            LastFour = generated.LastFour,
            Capabilities = capabilities,
            ExpiresAt = expiresAt,
            RateLimitPerMinute = rateLimitPerMinute,
            CreatedBy = tenant.UserId,
            CreatedAt = time.GetUtcNow(),
        }, generated.Key);
    }

    private async Task<List<ApiKeyRow>> QueryAsync(Func<IQueryable<ApiKey>, IQueryable<ApiKey>> filter, CancellationToken cancellationToken)
    {
        tenant.RequireOrg();
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await filter(db.ApiKeys).OrderByDescending(k => k.CreatedAt)
            .Select(k => new
            {
                Key = k,
                Project = db.Projects.Where(p => p.Id == k.ProjectId).Select(p => p.Name).Single(),
                Agent = db.Agents.Where(a => a.Id == k.AgentId).Select(a => a.Name).Single(),
                CreatedBy = db.Users.Where(u => u.Id == k.CreatedBy).Select(u => u.Email).SingleOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new ApiKeyRow(r.Key.Id, r.Key.Name, r.Key.Display, r.Key.ProjectId, r.Project, r.Key.AgentId, r.Agent,
            r.Key.Capabilities, r.Key.EffectiveStatus(now), r.CreatedBy, r.Key.CreatedAt, r.Key.ExpiresAt, r.Key.LastUsedAt, r.Key.ReplacedBy,
            r.Key.RevokeReason, r.Key.RateLimitPerMinute))];
    }

    /// <summary>Who may issue, revoke and roll keys, in the words a refusal uses.</summary>
    public const string ManagersRule = "Only the admins of this workspace and the organization's owners and admins can manage its API keys.";

    /// <summary>The refusal for a key of a workspace the caller does not administer (null: a key gone or hidden, reported later).</summary>
    private OperationResult? Refuse(Guid? workspaceId) =>
        workspaceId is null || tenant.IsWorkspaceAdmin(workspaceId) ? null : OperationResult.Fail(ManagersRule);
}
