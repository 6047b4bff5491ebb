using System.Linq.Expressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.AuditLog;
using TenantPortal.Features.Members;
using TenantPortal.Features.Organizations;
using TenantPortal.Features.Plans;
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

    /// <summary><c>row => row.OrgId == CurrentOrgId</c> for one entity type, read per query like a lambda over this context.</summary>
    private LambdaExpression BelongsToActiveOrganization(Type entity)
    {
        var row = Expression.Parameter(entity, "row");
        var orgId = Expression.Convert(Expression.Property(row, nameof(ITenantEntity.OrgId)), typeof(Guid?));
        var active = Expression.Property(Expression.Constant(this), nameof(CurrentOrgId));
        return Expression.Lambda(Expression.Equal(orgId, active), row);
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(PortalDbContext).Assembly);

        // A second layer behind row-level security: LINQ queries name the active organization too.
        builder.Entity<Organization>().HasQueryFilter(TenantFilter, o => o.Id == CurrentOrgId);
        foreach (var entity in builder.Model.GetEntityTypes().Where(e => e.ClrType.IsAssignableTo(typeof(ITenantEntity))).ToList())
        {
            builder.Entity(entity.ClrType).HasQueryFilter(TenantFilter, BelongsToActiveOrganization(entity.ClrType));
        }

        AuditSqlFunctions.Register(builder);
        builder.UseSnakeCaseNames();
    }
}
