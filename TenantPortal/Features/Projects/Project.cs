using TenantPortal.Tenancy;
namespace TenantPortal.Features.Projects;

public sealed class Project : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid Id { get; set; }
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";

    /// <summary>lower(name), kept by the database (app.project_name_key): the list's sort key.</summary>
    public string NameKey { get; private set; } = "";
    public string? Description { get; set; }
    public string Status { get; set; } = ProjectStatus.Active;
    public int? MaxAgents { get; set; }
    public List<string> Tags { get; set; } = [];
    public string Metadata { get; set; } = "{}";
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastActivityAt { get; set; }
}

/// <summary>Project states as stored in projects.status.</summary>
public static class ProjectStatus
{
    public const string Active = "active";
    public const string Inactive = "inactive";
    public const string Suspended = "suspended";
    public const string Archived = "archived";

    public static readonly IReadOnlyList<string> All = [Active, Inactive, Suspended, Archived];

    public static string Label(string status) => status switch
    {
        Active => "Active",
        Inactive => "Inactive",
        Suspended => "Suspended",
        Archived => "Archived",
        _ => status,
    };
}
