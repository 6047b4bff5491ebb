using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Plans;

/// <summary>The active organization's plan and what it uses of it; the database counts every row, not only the visible ones.</summary>
public sealed record OrgUsage(string PlanCode, string PlanName, long Projects, int? MaxProjects, long Members, long PendingInvitations,
    int? MaxMembers, int? MaxAgentsPerProject);

public sealed record PlanUserRow(Guid Id, string Email, string? DisplayName, string PlanCode, long OwnedOrgs);

public sealed record PlanOrgRow(Guid Id, string Slug, string Name, string PlanCode, long Projects, long Members);

/// <summary>Plan usage for organization settings, and plan changes by platform admins (checked and recorded by the database).</summary>
public sealed class PlanService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant)
{
    public async Task<OrgUsage?> UsageAsync(CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.SqlQuery<OrgUsage>($"""
            SELECT plan_code AS "PlanCode", plan_name AS "PlanName", projects AS "Projects", max_projects AS "MaxProjects",
                   members AS "Members", pending_invitations AS "PendingInvitations", max_members AS "MaxMembers",
                   max_agents_per_project AS "MaxAgentsPerProject"
            FROM app.org_usage()
            """).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<List<Plan>> PlansAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var plans = await db.Plans.AsNoTracking().ToListAsync(cancellationToken);
        return [.. plans.OrderBy(p => Array.IndexOf(["free", "pro", "max"], p.Code))];
    }

    /// <summary>People matching a search (platform admins only; anyone else gets none).</summary>
    public Task<List<PlanUserRow>> UsersAsync(string? search, CancellationToken cancellationToken = default) =>
        PlatformListAsync(db => db.Database.SqlQuery<PlanUserRow>($"""
            SELECT id AS "Id", email AS "Email", display_name AS "DisplayName", plan_code AS "PlanCode", owned_orgs AS "OwnedOrgs"
            FROM app.admin_users({search ?? ""}, 50)
            """).ToListAsync(cancellationToken), cancellationToken);

    /// <summary>Organizations matching a search (platform admins only; anyone else gets none).</summary>
    public Task<List<PlanOrgRow>> OrganizationsAsync(string? search, CancellationToken cancellationToken = default) =>
        PlatformListAsync(db => db.Database.SqlQuery<PlanOrgRow>($"""
            SELECT id AS "Id", slug AS "Slug", name AS "Name", plan_code AS "PlanCode", projects AS "Projects", members AS "Members"
            FROM app.admin_organizations({search ?? ""}, 50)
            """).ToListAsync(cancellationToken), cancellationToken);

    private async Task<List<T>> PlatformListAsync<T>(Func<PortalDbContext, Task<List<T>>> query, CancellationToken cancellationToken)
    {
        tenant.RequireUser();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        try
        {
            return await query(db);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return [];
        }
    }

    public Task<OperationResult> SetUserPlanAsync(Guid userId, string plan, CancellationToken cancellationToken = default) =>
        ChangeAsync(plan, db => db.Database.ExecuteSqlAsync($"SELECT app.admin_set_user_plan({userId}, {plan})", cancellationToken));

    public Task<OperationResult> SetOrganizationPlanAsync(Guid orgId, string plan, CancellationToken cancellationToken = default) =>
        ChangeAsync(plan, db => db.Database.ExecuteSqlAsync($"SELECT app.admin_set_org_plan({orgId}, {plan})", cancellationToken));

    private async Task<OperationResult> ChangeAsync(string plan, Func<PortalDbContext, Task<int>> change)
    {
        tenant.RequireUser();
        if (plan is not ("free" or "pro" or "max"))
        {
            return OperationResult.Fail("Choose Free, Pro or Max.", "Plan");
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        return await OperationResult.RunAsync(async () =>
        {
            await change(db);
            return true;
        }, notAllowed: "Only platform admins change plans.");
    }
}
