using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.AuditLog;
using TenantPortal.Features.Members;
using TenantPortal.Features.Organizations;
using TenantPortal.Features.Projects;
using TenantPortal.Features.Workspaces;
using TenantPortal.Tenancy;

namespace TenantPortal.Data;

public sealed class PortalDbContext(DbContextOptions<PortalDbContext> options, TenantContext? tenant = null)
    : IdentityDbContext<PortalUser, IdentityRole<Guid>, Guid>(options)
{
    /// <summary>Name of the query filters that repeat the database's tenant policies in every LINQ query.</summary>
    public const string TenantFilter = "Tenant";

    /// <summary>The circuit's (or request's) context; the connection interceptor enters it in the database.</summary>
    public TenantContext? Tenant { get; } = tenant;

    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<OrgMember> OrgMembers => Set<OrgMember>();
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<WorkspaceMember> WorkspaceMembers => Set<WorkspaceMember>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<OrgInvitation> OrgInvitations => Set<OrgInvitation>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Plan> Plans => Set<Plan>();
    public DbSet<UserSubscription> UserSubscriptions => Set<UserSubscription>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    // Read per query: EF parameterizes members of the context instance.
    private Guid? CurrentOrgId => Tenant?.OrgId;

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

        // A second layer behind row-level security: LINQ queries name the active organization too.
        builder.Entity<Organization>().HasQueryFilter(TenantFilter, o => o.Id == CurrentOrgId);
        builder.Entity<OrgMember>().HasQueryFilter(TenantFilter, m => m.OrgId == CurrentOrgId);
        builder.Entity<Workspace>().HasQueryFilter(TenantFilter, w => w.OrgId == CurrentOrgId);
        builder.Entity<WorkspaceMember>().HasQueryFilter(TenantFilter, m => m.OrgId == CurrentOrgId);
        builder.Entity<Project>().HasQueryFilter(TenantFilter, p => p.OrgId == CurrentOrgId);
        builder.Entity<OrgInvitation>().HasQueryFilter(TenantFilter, i => i.OrgId == CurrentOrgId);
        builder.Entity<Agent>().HasQueryFilter(TenantFilter, a => a.OrgId == CurrentOrgId);
        builder.Entity<ApiKey>().HasQueryFilter(TenantFilter, k => k.OrgId == CurrentOrgId);
        // The log's own policy also admits platform admins and a user's own sign-ins; queries name the organization explicitly.

        AuditSqlFunctions.Register(builder);
        builder.UseSnakeCaseNames();
    }
}
