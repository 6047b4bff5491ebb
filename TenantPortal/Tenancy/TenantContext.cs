namespace TenantPortal.Tenancy;

/// <summary>
/// The active user, organization and workspace of one circuit (or one request). The connection interceptor turns it into
/// database context on every connection open; pages read it and listen to <see cref="Changed"/>.
/// </summary>
public sealed class TenantContext
{
    public Guid? UserId { get; private set; }

    public Guid? OrgId { get; private set; }

    public string? OrgName { get; private set; }

    public string? OrgSlug { get; private set; }

    /// <summary>The user's role in the active organization, as the database reported it when the organization was entered.</summary>
    public string? OrgRole { get; private set; }

    public Guid? WorkspaceId { get; private set; }

    public string? WorkspaceName { get; private set; }

    public string? ClientIp { get; set; }

    public string? UserAgent { get; set; }

    public bool CanManage => Tenancy.OrgRole.CanManage(OrgRole);

    public bool IsOwner => OrgRole == Tenancy.OrgRole.Owner;

    public event Action? Changed;

    public void SignIn(Guid userId)
    {
        if (UserId != userId)
        {
            UserId = userId;
            ClearOrganization();
        }
    }

    public void Enter(Guid orgId, string orgSlug, string orgName, string role, Guid? workspaceId, string? workspaceName)
    {
        OrgId = orgId;
        OrgSlug = orgSlug;
        OrgName = orgName;
        OrgRole = role;
        WorkspaceId = workspaceId;
        WorkspaceName = workspaceName;
        Changed?.Invoke();
    }

    public void Leave()
    {
        ClearOrganization();
        Changed?.Invoke();
    }

    /// <summary>The active organization, for code that cannot work without one.</summary>
    public Guid RequireOrg() => OrgId ?? throw new TenantContextMissingException("This operation needs an active organization; none is selected.");

    public Guid RequireUser() => UserId ?? throw new TenantContextMissingException("This operation needs a signed-in user.");

    private void ClearOrganization()
    {
        OrgId = null;
        OrgSlug = null;
        OrgName = null;
        OrgRole = null;
        WorkspaceId = null;
        WorkspaceName = null;
    }
}

/// <summary>Thrown when code that needs tenant context runs without it; never silently ignored.</summary>
public sealed class TenantContextMissingException(string message) : InvalidOperationException(message);
