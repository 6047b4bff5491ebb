namespace TenantPortal.Tenancy;

/// <summary>Organization roles, strongest first, as stored in org_members.role.</summary>
public static class OrgRole
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Member, Viewer];

    public static bool CanManage(string? role) => role is Owner or Admin;

    public static string Label(string role) => role switch
    {
        Owner => "Owner",
        Admin => "Admin",
        Member => "Member",
        Viewer => "Viewer",
        _ => role,
    };
}

/// <summary>Workspace roles as stored in workspace_members.role.</summary>
public static class WorkspaceRole
{
    public const string Admin = "admin";
    public const string Member = "member";
    public const string Viewer = "viewer";

    public static readonly IReadOnlyList<string> All = [Admin, Member, Viewer];
}
