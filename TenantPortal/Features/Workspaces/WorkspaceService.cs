using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Workspaces;

public sealed record WorkspaceRow(Guid Id, string Slug, string Name, string? Description, DateTimeOffset? ArchivedAt, int Members);

public sealed record MemberRow(Guid UserId, string Email, string? DisplayName, string Role);

/// <summary>Workspaces of the active organization and their members.</summary>
public sealed class WorkspaceService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TenantSession session)
{
    public async Task<List<WorkspaceRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Workspaces
            .OrderBy(w => w.ArchivedAt != null).ThenBy(w => w.Name)
            .Select(w => new WorkspaceRow(w.Id, w.Slug, w.Name, w.Description, w.ArchivedAt,
                db.WorkspaceMembers.Count(m => m.WorkspaceId == w.Id)))
            .ToListAsync(cancellationToken);
    }

    public async Task<Workspace?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Workspaces.AsNoTracking().SingleOrDefaultAsync(w => w.Id == id, cancellationToken);
    }

    public Task<OperationResult> CreateAsync(string name, string slug, string? description, CancellationToken cancellationToken = default) =>
        ChangeAsync(slug, async db =>
        {
            db.Workspaces.Add(new Workspace
            {
                OrgId = tenant.RequireOrg(),
                Name = name.Trim(),
                Slug = slug,
                Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim(),
                CreatedBy = tenant.UserId,
            });
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }, cancellationToken);

    public Task<OperationResult> UpdateAsync(Guid id, string name, string slug, string? description, CancellationToken cancellationToken = default) =>
        ChangeAsync(slug, async db => await db.Workspaces.Where(w => w.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(w => w.Name, name.Trim())
            .SetProperty(w => w.Slug, slug)
            .SetProperty(w => w.Description, string.IsNullOrWhiteSpace(description) ? null : description.Trim()), cancellationToken) == 1, cancellationToken);

    public Task<OperationResult> SetArchivedAsync(Guid id, bool archived, CancellationToken cancellationToken = default) =>
        ChangeAsync(null, async db => await db.Workspaces.Where(w => w.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(w => w.ArchivedAt, archived ? DateTimeOffset.UtcNow : null), cancellationToken) == 1, cancellationToken);

    public async Task<List<MemberRow>> MembersAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId)
            .OrderBy(m => m.User!.Email)
            .Select(m => new MemberRow(m.UserId, m.User!.Email!, m.User.DisplayName, m.Role))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Organization members who are not yet in the workspace.</summary>
    public async Task<List<MemberRow>> CandidatesAsync(Guid workspaceId, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.OrgMembers
            .Where(m => m.Status == "active" && !db.WorkspaceMembers.Any(w => w.WorkspaceId == workspaceId && w.UserId == m.UserId))
            .OrderBy(m => m.User!.Email)
            .Select(m => new MemberRow(m.UserId, m.User!.Email!, m.User.DisplayName, m.Role))
            .ToListAsync(cancellationToken);
    }

    public Task<OperationResult> AddMemberAsync(Guid workspaceId, Guid userId, string role, CancellationToken cancellationToken = default) =>
        WorkspaceRole.All.Contains(role)
            ? ChangeAsync(null, async db =>
            {
                db.WorkspaceMembers.Add(new WorkspaceMember { OrgId = tenant.RequireOrg(), WorkspaceId = workspaceId, UserId = userId, Role = role });
                await db.SaveChangesAsync(cancellationToken);
                return true;
            }, cancellationToken)
            : Task.FromResult(OperationResult.Fail("Choose admin, member or viewer.", "Role"));

    public Task<OperationResult> ChangeRoleAsync(Guid workspaceId, Guid userId, string role, CancellationToken cancellationToken = default) =>
        WorkspaceRole.All.Contains(role)
            ? ChangeAsync(null, async db => await db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId && m.UserId == userId)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, role), cancellationToken) == 1, cancellationToken)
            : Task.FromResult(OperationResult.Fail("Choose admin, member or viewer.", "Role"));

    public Task<OperationResult> RemoveMemberAsync(Guid workspaceId, Guid userId, CancellationToken cancellationToken = default) =>
        ChangeAsync(null, async db => await db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId && m.UserId == userId)
            .ExecuteDeleteAsync(cancellationToken) == 1, cancellationToken);

    /// <summary>Runs a change for owners and admins only, turning the database's refusals into messages.</summary>
    private async Task<OperationResult> ChangeAsync(string? slug, Func<PortalDbContext, Task<bool>> change, CancellationToken cancellationToken)
    {
        tenant.RequireOrg();
        if (!tenant.CanManage)
        {
            return OperationResult.Fail("Only organization owners and admins can change workspaces.");
        }

        if (slug is not null && Slugs.Problem(slug) is string problem)
        {
            return OperationResult.Fail(problem, "Slug");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var result = await OperationResult.RunAsync(() => change(db));
        if (!result.Succeeded)
        {
            return result;
        }

        await session.RefreshAsync(cancellationToken);
        return OperationResult.Ok;
    }
}
