namespace TenantPortal.Features.Organizations;

/// <summary>Creating, renaming and deleting organizations.</summary>
internal sealed class OrganizationsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<OrganizationService>();

    public IEnumerable<Refusal> Refusals =>
    [
        new("organizations_slug_key", "That address is already taken; choose another.", "Slug"),
        new("organizations_slug_format", SlugRule.Organization.Rule, "Slug"),
        new("organizations_name_format", "Use 1–100 characters for the name.", "Name"),
    ];
}
