using TenantPortal.Tenancy;
namespace TenantPortal.Features.Organizations;

public sealed class Organization
{
    public Guid Id { get; set; }
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string Plan { get; set; } = "free";
    public Guid CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class OrgMember : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid UserId { get; set; }
    public string Role { get; set; } = "";
    public string Status { get; set; } = "active";
    public Guid? InvitedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Data.PortalUser? User { get; set; }
}
