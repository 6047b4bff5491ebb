using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Organizations;

/// <summary>Creating, renaming and deleting organizations; the database enforces plans, roles and isolation as well.</summary>
public sealed class OrganizationService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TenantSession session)
{
    public async Task<(OperationResult Result, Guid? OrgId)> CreateAsync(string name, string slug, CancellationToken cancellationToken = default)
    {
        tenant.RequireUser();
        if (Slugs.Problem(slug) is string problem)
        {
            return (OperationResult.Fail(problem, "Slug"), null);
        }

        Guid id = default;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var result = await OperationResult.RunAsync(async () =>
            {
                id = await db.Database.SqlQuery<Guid>($"SELECT app.create_organization({slug}, {name.Trim()}) AS \"Value\"").SingleAsync(cancellationToken);
                return true;
            });
            if (!result.Succeeded)
            {
                return (result, null);
            }
        }

        // Not yet in the switcher's list: switching reloads it.
        await session.SwitchAsync(id, null, cancellationToken);
        return (OperationResult.Ok, id);
    }

    public async Task<Organization?> GetCurrentAsync(CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Organizations.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<OperationResult> UpdateAsync(string name, string slug, CancellationToken cancellationToken = default)
    {
        var orgId = tenant.RequireOrg();
        if (!tenant.IsOwner)
        {
            return OperationResult.Fail("Only an owner can rename the organization or change its address.");
        }

        if (Slugs.Problem(slug) is string problem)
        {
            return OperationResult.Fail(problem, "Slug");
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var result = await OperationResult.RunAsync(async () => await db.Organizations.Where(o => o.Id == orgId).ExecuteUpdateAsync(s => s
                .SetProperty(o => o.Name, name.Trim())
                .SetProperty(o => o.Slug, slug), cancellationToken) == 1);
            if (!result.Succeeded)
            {
                return result;
            }
        }

        // Picks up the new name and address for the switcher and the context.
        await session.RefreshAsync(cancellationToken);
        return OperationResult.Ok;
    }

    /// <summary>Deletes the active organization and everything under it, when <paramref name="confirmation"/> repeats its address.</summary>
    public async Task<OperationResult> DeleteAsync(string confirmation, CancellationToken cancellationToken = default)
    {
        var orgId = tenant.RequireOrg();
        if (!tenant.IsOwner)
        {
            return OperationResult.Fail("Only an owner can delete the organization.");
        }

        if (OperationResult.Unconfirmed(confirmation, tenant.OrgSlug) is OperationResult unconfirmed)
        {
            return unconfirmed;
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            if (await db.Organizations.Where(o => o.Id == orgId).ExecuteDeleteAsync(cancellationToken) == 0)
            {
                return OperationResult.Fail("You are not allowed to delete this organization.");
            }
        }

        tenant.Leave();
        await session.RefreshAsync(cancellationToken);
        if (session.Organizations.Count > 0)
        {
            await session.SwitchAsync(session.Organizations[0].Id, null, cancellationToken);
        }

        return OperationResult.Ok;
    }
}
