using TenantPortal.Tenancy;

namespace TenantPortal.Features.Organizations;

/// <summary>The name and address form shared by creating and editing an organization or a workspace.</summary>
public sealed class OrganizationInput
{
    [DisplayNameText]
    public string Name { get; set; } = "";

    [Slug]
    public string Slug { get; set; } = "";

    [System.ComponentModel.DataAnnotations.StringLength(500, ErrorMessage = "Use at most 500 characters for the description.")]
    public string? Description { get; set; }
}
