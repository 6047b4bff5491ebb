using TenantPortal.Tenancy;
namespace TenantPortal.Features.Workspaces;

public sealed class Workspace : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid Id { get; set; }
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public DateTimeOffset? ArchivedAt { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class WorkspaceMember : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid UserId { get; set; }
    public string Role { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public Data.PortalUser? User { get; set; }
}
