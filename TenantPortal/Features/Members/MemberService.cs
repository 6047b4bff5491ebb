using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Features.Organizations;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Members;

public sealed record OrgMemberRow(Guid UserId, string Email, string? DisplayName, string Role, string Status, DateTimeOffset JoinedAt);

/// <summary>Membership states as stored in org_members.status: a suspended member keeps their place but has no access.</summary>
public static class MemberStatus
{
    public const string Active = "active";
    public const string Suspended = "suspended";
}

/// <summary>
/// The active organization's members: owners and admins change roles and remove members (only owners touch owners),
/// anyone may leave, and the last owner stays. The database enforces each rule as well.
/// </summary>
public sealed class MemberService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TenantSession session)
{
    public async Task<List<OrgMemberRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.OrgMembers
            .Select(m => new OrgMemberRow(m.UserId, m.User!.Email!, m.User.DisplayName, m.Role, m.Status, m.CreatedAt))
            .ToListAsync(cancellationToken);
        return [.. rows.OrderBy(m => OrgRole.All.ToList().IndexOf(m.Role)).ThenBy(m => m.Email, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<OperationResult> ChangeRoleAsync(Guid userId, string role, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (!OrgRole.All.Contains(role))
        {
            return OperationResult.Fail("Choose owner, admin, member or viewer.", "Role");
        }

        return await ChangeMemberAsync(userId, role,
            member => member.ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, role), cancellationToken), cancellationToken);
    }

    public async Task<OperationResult> RemoveAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (userId == tenant.UserId)
        {
            return await LeaveAsync(cancellationToken);
        }

        return await ChangeMemberAsync(userId, null, member => member.ExecuteDeleteAsync(cancellationToken), cancellationToken);
    }

    /// <summary>Suspends a member (they lose access at once but stay listed) or makes them active again.</summary>
    public async Task<OperationResult> SetStatusAsync(Guid userId, bool suspended, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (userId == tenant.UserId)
        {
            return OperationResult.Fail("You cannot suspend yourself; leave the organization instead.");
        }

        var status = suspended ? MemberStatus.Suspended : MemberStatus.Active;
        return await ChangeMemberAsync(userId, null,
            member => member.ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, status), cancellationToken), cancellationToken);
    }

    /// <summary>Leaves the active organization and moves to another one (the last owner cannot leave).</summary>
    public async Task<OperationResult> LeaveAsync(CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var result = await OperationResult.RunAsync(async () =>
            {
                await db.Database.ExecuteSqlAsync($"SELECT app.leave_organization()", cancellationToken);
                return true;
            });
            if (!result.Succeeded)
            {
                return result;
            }
        }

        tenant.Leave();
        await session.RefreshAsync(cancellationToken);
        return OperationResult.Ok;
    }

    /// <summary>Why the caller may not change a member whose role is <paramref name="current"/> (to <paramref name="role"/>, or remove them).</summary>
    private OperationResult? Refuse(string? current, string? role)
    {
        if (current is null)
        {
            return OperationResult.Fail("This person is no longer a member of the organization.");
        }

        if (!tenant.CanManage)
        {
            return OperationResult.Fail("Only organization owners and admins can change members.");
        }

        if ((current == OrgRole.Owner || role == OrgRole.Owner) && !tenant.IsOwner)
        {
            return OperationResult.Fail("Only an owner can change an owner or make someone an owner.");
        }

        return null;
    }

    /// <summary>
    /// Changes one member (to <paramref name="role"/>, or otherwise) once the caller's rights over them are checked; a change of
    /// the caller's own membership changes what they may do, so the session picks it up.
    /// </summary>
    private async Task<OperationResult> ChangeMemberAsync(Guid userId, string? role, Func<IQueryable<OrgMember>, Task<int>> change,
        CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var member = db.OrgMembers.Where(m => m.UserId == userId);
        if (Refuse(await member.Select(m => m.Role).SingleOrDefaultAsync(cancellationToken), role) is OperationResult refused)
        {
            return refused;
        }

        var result = await OperationResult.RunAsync(async () => await change(member) == 1);
        if (result.Succeeded && userId == tenant.UserId)
        {
            await session.RefreshAsync(cancellationToken);
        }

        return result;
    }
}
