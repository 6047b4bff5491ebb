using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;

namespace TenantPortal.Tenancy;

public sealed record WorkspaceChoice(Guid Id, string Slug, string Name);

public sealed record OrgChoice(Guid Id, string Slug, string Name, string Role, IReadOnlyList<WorkspaceChoice> Workspaces);

/// <summary>
/// Keeps a circuit's <see cref="TenantContext"/> in step with the database: restores the last-used organization,
/// lists the user's organizations for the switcher, switches (validated by the database) and recovers when access is lost.
/// </summary>
public sealed class TenantSession(TenantContext tenant, IDbContextFactory<PortalDbContext> dbFactory)
{
    private bool initialized;

    public IReadOnlyList<OrgChoice> Organizations { get; private set; } = [];

    /// <summary>A message for the user after the portal moved them (lost access); cleared once shown.</summary>
    public string? Notice { get; set; }

    public event Action? Changed;

    public TenantContext Context => tenant;

    public async Task InitializeAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (!Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            return;
        }

        tenant.SignIn(userId);
        if (initialized)
        {
            return;
        }

        initialized = true;
        Organizations = await LoadAsync(cancellationToken);
        if (tenant.OrgId is null)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var last = await db.Users.Where(u => u.Id == userId).Select(u => new { u.LastOrgId, u.LastWorkspaceId }).SingleOrDefaultAsync(cancellationToken);
            var org = Organizations.FirstOrDefault(o => o.Id == last?.LastOrgId) ?? First(Organizations);
            if (org is not null)
            {
                Enter(org, org.Workspaces.FirstOrDefault(w => w.Id == last?.LastWorkspaceId)?.Id);
                await ConfirmAsync(cancellationToken);
            }
        }

        Changed?.Invoke();
    }

    /// <summary>Reloads the user's organizations; if the active one is no longer among them, moves to another with a notice.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        if (tenant.UserId is null)
        {
            return;
        }

        var (previousId, previousName) = (tenant.OrgId, tenant.OrgName);
        Organizations = await LoadAsync(cancellationToken);
        var current = Organizations.FirstOrDefault(o => o.Id == previousId);
        if (current is null)
        {
            tenant.Leave();
            var next = First(Organizations);
            if (next is not null)
            {
                Enter(next, null);
            }

            if (previousId is not null)
            {
                Notice = $"You no longer have access to {previousName}." + (next is null ? "" : $" You are now in {next.Name}.");
            }
        }
        else if (current.Role != tenant.OrgRole || current.Name != tenant.OrgName || current.Slug != tenant.OrgSlug)
        {
            Enter(current, tenant.WorkspaceId);
        }

        Changed?.Invoke();
    }

    /// <summary>Switches to an organization (and workspace) after the database confirms membership; remembers the choice.</summary>
    public async Task<bool> SwitchAsync(Guid orgId, Guid? workspaceId, CancellationToken cancellationToken = default)
    {
        var userId = tenant.RequireUser();
        var org = Organizations.FirstOrDefault(o => o.Id == orgId);
        if (org is null)
        {
            await RefreshAsync(cancellationToken);
            org = Organizations.FirstOrDefault(o => o.Id == orgId);
            if (org is null)
            {
                return false;
            }
        }

        Enter(org, workspaceId);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // Opening the connection enters the new context: the database checks the membership here.
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(
                s => s.SetProperty(u => u.LastOrgId, org.Id).SetProperty(u => u.LastWorkspaceId, tenant.WorkspaceId), cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await RefreshAsync(cancellationToken);
            return false;
        }

        Changed?.Invoke();
        return true;
    }

    /// <summary>Enters the active organization in the database once, so the context holds the roles the database reports.</summary>
    private async Task ConfirmAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await db.Database.OpenConnectionAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await RefreshAsync(cancellationToken);
        }
    }

    /// <summary>Called when a query failed because the database refused the active organization.</summary>
    public Task HandleLostAccessAsync(CancellationToken cancellationToken = default) => RefreshAsync(cancellationToken);

    private void Enter(OrgChoice org, Guid? workspaceId)
    {
        var workspace = org.Workspaces.FirstOrDefault(w => w.Id == workspaceId) ?? First(org.Workspaces);
        tenant.Enter(org.Id, org.Slug, org.Name, org.Role, workspace?.Id, workspace?.Name);
    }

    private async Task<IReadOnlyList<OrgChoice>> LoadAsync(CancellationToken cancellationToken)
    {
        List<MyOrganizationRow> rows;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            rows = await ReadAsync(db, cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && tenant.OrgId is not null)
        {
            // The database refused the active organization when the connection opened: list from the user's own session.
            tenant.Leave();
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            rows = await ReadAsync(db, cancellationToken);
        }

        return rows.GroupBy(r => (r.OrgId, r.Slug, r.Name, r.Role))
            .Select(g => new OrgChoice(g.Key.OrgId, g.Key.Slug, g.Key.Name, g.Key.Role,
                g.Where(r => r.WorkspaceId is not null).Select(r => new WorkspaceChoice(r.WorkspaceId!.Value, r.WorkspaceSlug!, r.WorkspaceName!)).ToList()))
            .ToList();
    }

    private static T? First<T>(IReadOnlyList<T> items) where T : class => items.Count > 0 ? items[0] : null;

    private static Task<List<MyOrganizationRow>> ReadAsync(PortalDbContext db, CancellationToken cancellationToken) =>
        db.Database.SqlQueryRaw<MyOrganizationRow>("""
            SELECT org_id AS "OrgId", slug AS "Slug", name AS "Name", role AS "Role",
                   workspace_id AS "WorkspaceId", workspace_slug AS "WorkspaceSlug", workspace_name AS "WorkspaceName"
            FROM app.my_organizations()
            """).ToListAsync(cancellationToken);

    private sealed record MyOrganizationRow(Guid OrgId, string Slug, string Name, string Role, Guid? WorkspaceId, string? WorkspaceSlug, string? WorkspaceName);
}
