namespace TenantPortal.Features.Projects;

/// <summary>Projects of a workspace: the list, the overview and their changes.</summary>
internal sealed class ProjectsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<ProjectService>();

    public IEnumerable<Refusal> Refusals =>
    [
        new("projects_slug_key", "That address is already taken; choose another.", "Slug"),
        new("projects_slug_format", SlugRule.Project.Rule, "Slug"),
        new("projects_name_format", "Use 1–200 characters for the name.", "Name"),
        new("projects_tags_format", ProjectTags.Rule, "Tags"),
    ];
}
