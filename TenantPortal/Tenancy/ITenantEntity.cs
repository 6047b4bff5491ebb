namespace TenantPortal.Tenancy;

/// <summary>
/// An entity that belongs to one organization. The context gives every such entity the named query filter
/// <c>Tenant</c> (its OrgId is the active organization's), a second layer behind row-level security.
/// </summary>
public interface ITenantEntity
{
    Guid OrgId { get; }
}

/// <summary>
/// Marks an entity whose table has an org_id column but which is read across organizations on purpose, with the reason;
/// a test refuses any other entity mapped to such a table without the tenant filter.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NotTenantFilteredAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}
