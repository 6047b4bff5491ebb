namespace TenantPortal.Features.Workspaces;

/// <summary>Workspaces of an organization and who belongs to each, with which role.</summary>
internal sealed class WorkspacesFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<WorkspaceService>();

    public IEnumerable<Refusal> Refusals =>
    [
        new("workspaces_slug_key", "That address is already taken; choose another.", "Slug"),
        new("workspaces_slug_format", SlugRule.Organization.Rule, "Slug"),
        new("workspaces_name_format", "Use 1–100 characters for the name.", "Name"),
        new("fk_workspace_members_member", "Only members of the organization can join its workspaces."),
    ];
}
