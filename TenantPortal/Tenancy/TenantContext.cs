namespace TenantPortal.Tenancy;

/// <summary>
/// The active user, organization and workspace of one circuit (or one request). The connection interceptor turns it into
/// database context on every connection open and keeps <see cref="OrgRole"/> as the database reports it; pages follow
/// changes through <see cref="TenantSession.Changed"/>.
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

    /// <summary>The workspaces whose projects, agents and keys the user manages, as the database last reported them.</summary>
    public IReadOnlySet<Guid> AdminWorkspaceIds { get; private set; } = new HashSet<Guid>();

    /// <summary>The workspaces whose projects the user works in (edits agents), as the database last reported them.</summary>
    public IReadOnlySet<Guid> MemberWorkspaceIds { get; private set; } = new HashSet<Guid>();

    /// <summary>Owners and admins manage the organization itself: its workspaces, members, invitations, keys and audit log.</summary>
    public bool CanManage => Tenancy.OrgRole.CanManage(OrgRole);

    /// <summary>True when the user manages the projects, agents and keys of <paramref name="workspaceId"/>.</summary>
    public bool IsWorkspaceAdmin(Guid? workspaceId) => CanManage || (workspaceId is Guid id && AdminWorkspaceIds.Contains(id));

    /// <summary>True when the user works in the projects of <paramref name="workspaceId"/> (edits agents).</summary>
    public bool CanWorkIn(Guid? workspaceId) => IsWorkspaceAdmin(workspaceId) || (workspaceId is Guid id && MemberWorkspaceIds.Contains(id));

    public bool IsOwner => OrgRole == Tenancy.OrgRole.Owner;

    /// <summary>The agent a request speaks for (agent API), with its key's id, project and capabilities; null for people.</summary>
    public AgentActor? Agent { get; private set; }

    /// <summary>The key the agent presented; every connection of the request enters the agent's context with it.</summary>
    internal string? AgentKey { get; private set; }

    /// <summary>
    /// Makes this request an agent's: its organization is the key's, and every connection the request opens enters
    /// the agent's context with <paramref name="key"/> (the database checks the key again each time).
    /// </summary>
    public void EnterAgent(string key, AgentActor agent)
    {
        UserId = null;
        ClearOrganization();
        OrgId = agent.OrgId;
        WorkspaceId = agent.WorkspaceId;
        Agent = agent;
        AgentKey = key;
    }

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
        if (OrgId != orgId)
        {
            // Another organization's workspace roles mean nothing here; the next connection brings this one's.
            ForgetWorkspaceRoles();
        }

        OrgId = orgId;
        OrgSlug = orgSlug;
        OrgName = orgName;
        OrgRole = role;
        WorkspaceId = workspaceId;
        WorkspaceName = workspaceName;
    }

    public void Leave() => ClearOrganization();

    /// <summary>What the database reported when it last entered the organization (it checks membership on every connection).</summary>
    internal void Confirm(Guid orgId, string role, IReadOnlyCollection<Guid> adminWorkspaceIds, IReadOnlyCollection<Guid> memberWorkspaceIds)
    {
        if (OrgId == orgId)
        {
            OrgRole = role;
            AdminWorkspaceIds = adminWorkspaceIds.ToHashSet();
            MemberWorkspaceIds = memberWorkspaceIds.ToHashSet();
        }
    }

    /// <summary>The active organization, for code that cannot work without one.</summary>
    public Guid RequireOrg() => OrgId ?? throw new TenantContextMissingException("This operation needs an active organization; none is selected.");

    public Guid RequireUser() => UserId ?? throw new TenantContextMissingException("This operation needs a signed-in user.");

    private void ForgetWorkspaceRoles() => (AdminWorkspaceIds, MemberWorkspaceIds) = (new HashSet<Guid>(), new HashSet<Guid>());

    private void ClearOrganization()
    {
        OrgId = null;
        OrgSlug = null;
        OrgName = null;
        OrgRole = null;
        ForgetWorkspaceRoles();
        WorkspaceId = null;
        WorkspaceName = null;
    }
}

/// <summary>An agent as its key identifies it: the key, the agent, where it works and what the key lets it do.</summary>
public sealed record AgentActor(Guid KeyId, Guid AgentId, Guid ProjectId, Guid WorkspaceId, Guid OrgId, IReadOnlyList<string> Capabilities,
    AgentProfile? Profile = null);

/// <summary>What an agent may know of itself, read with its key when the key verified: its names, its project's, its key's.</summary>
public sealed record AgentProfile(string Name, string DisplayName, string ProjectSlug, string ProjectName, string KeyPrefix, string KeyLastFour,
    DateTimeOffset? KeyExpiresAt);

/// <summary>Thrown when a connection of an agent's request cannot enter its context: the key no longer verifies.</summary>
public sealed class AgentKeyRefusedException() : UnauthorizedAccessException("The API key no longer verifies.");

/// <summary>Thrown when code that needs tenant context runs without it; never silently ignored.</summary>
public sealed class TenantContextMissingException(string message) : InvalidOperationException(message);
