using System.Text.RegularExpressions;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.AuditLog;
using TenantPortal.Features.Decisions;
using TenantPortal.Features.Projects;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features;

/// <summary>
/// Reads the role × action table of docs/permissions.md and checks every cell through the services, against the real
/// database: each ✓ succeeds (and a change shows in the data), each ✗ is refused and changes nothing.
/// </summary>
public sealed partial class PermissionMatrixTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    /// <summary>The table's columns: the acting person's organization role and their role in the scene's workspace.</summary>
    private static readonly (string Column, string OrgRole, string WorkspaceRole)[] Columns =
    [
        ("owner", OrgRole.Owner, WorkspaceRole.Member),
        ("admin", OrgRole.Admin, WorkspaceRole.Member),
        ("workspace admin", OrgRole.Member, WorkspaceRole.Admin),
        ("workspace member", OrgRole.Member, WorkspaceRole.Member),
        ("workspace viewer", OrgRole.Member, WorkspaceRole.Viewer),
        // An organization viewer stays read-only even as a workspace admin.
        ("viewer", OrgRole.Viewer, WorkspaceRole.Admin),
    ];

    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    /// <summary>One organization: the acting person in a role, two other owners, a member, a project and a pending invitation.</summary>
    private sealed record Scene(Guid Org, string OrgSlug, Guid Actor, Guid SecondOwner, Guid Target, Guid Workspace, Guid Project, Guid Invitation,
        Guid Agent, Guid Key, Guid Decision);

    /// <summary>Each action: whether it only reads, and how to attempt it (true when the service reports success or shows data).</summary>
    private static readonly Dictionary<string, (bool Reads, Func<Circuit, Scene, Task<bool>> Attempt)> Actions = new()
    {
        ["organization.rename"] = (false, async (c, s) => (await c.Organizations.UpdateAsync("Renamed", s.OrgSlug)).Succeeded),
        ["organization.delete"] = (false, async (c, s) => (await c.Organizations.DeleteAsync(s.OrgSlug)).Succeeded),
        ["organization.usage"] = (true, async (c, s) => await c.Plans.UsageAsync() is { Projects: 1 }),
        ["workspace.create"] = (false, async (c, s) => (await c.Workspaces.CreateAsync("Ops", "ops", null)).Succeeded),
        ["workspace.archive"] = (false, async (c, s) => (await c.Workspaces.SetArchivedAsync(s.Workspace, archived: true)).Succeeded),
        ["workspace.add_member"] = (false, async (c, s) => (await c.Workspaces.AddMemberAsync(s.Workspace, s.SecondOwner, WorkspaceRole.Member)).Succeeded),
        ["project.view"] = (true, async (c, s) => (await c.Projects.PageAsync(new ProjectQuery())).Rows.Any(p => p.Id == s.Project)),
        ["project.create"] = (false, async (c, s) => (await c.Projects.CreateAsync(new ProjectInput { Name = "Made", Slug = "made" })).Result.Succeeded),
        ["project.edit"] = (false, async (c, s) => (await c.Projects.UpdateAsync(s.Project, new ProjectInput { Name = "Edited", Slug = "edited" })).Succeeded),
        ["project.status"] = (false, async (c, s) => (await c.Projects.SetStatusAsync(s.Project, ProjectStatus.Suspended)).Succeeded),
        ["project.delete"] = (false, async (c, s) => (await c.Projects.DeleteAsync(s.Project, "website")).Succeeded),
        ["agent.view"] = (true, async (c, s) => (await c.Agents.ListAsync(s.Project)).Any(a => a.Id == s.Agent)),
        ["agent.create"] = (false, async (c, s) => (await c.Agents.CreateAsync(s.Project, new AgentInput { Name = "made", DisplayName = "Made" })).Result.Succeeded),
        ["agent.edit"] = (false, async (c, s) => (await c.Agents.UpdateAsync(s.Agent, new AgentInput { Name = "greeter", DisplayName = "Edited" })).Succeeded),
        ["agent.status"] = (false, async (c, s) => (await c.Agents.SetStatusAsync(s.Agent, AgentStatus.Archived)).Succeeded),
        ["agent.delete"] = (false, async (c, s) => (await c.Agents.DeleteAsync(s.Agent, "greeter")).Succeeded),
        ["key.view"] = (true, async (c, s) => (await c.Keys.ListAsync(s.Project)).Any(k => k.Id == s.Key)),
        ["key.create"] = (false, async (c, s) => (await c.Keys.CreateAsync(s.Agent, "made", [Capability.Communicate], null)).Result.Succeeded),
        ["key.revoke"] = (false, async (c, s) => (await c.Keys.RevokeAsync(s.Key, "No longer needed")).Succeeded),
        ["key.roll"] = (false, async (c, s) => (await c.Keys.RollAsync(s.Key, TimeSpan.FromHours(1))).Result.Succeeded),
        ["key.disable"] = (false, async (c, s) => (await c.Keys.SetDisabledAsync(s.Key, disable: true)).Succeeded),
        ["key.rate_limit"] = (false, async (c, s) => (await c.Keys.SetRateLimitAsync(s.Key, 60)).Succeeded),
        ["key.review"] = (true, async (c, s) => (await c.Keys.ReviewAsync(KeyReview.All)).Any(k => k.Id == s.Key)),
        ["decision.view"] = (true, async (c, s) => (await c.Decisions.ListAsync(s.Project)).Any(d => d.Id == s.Decision && d.Status == DecisionStatus.Pending)),
        ["decision.decide"] = (false, async (c, s) => (await c.Decisions.ApproveAsync(s.Decision, "ship", "Looks right")).Succeeded),
        ["member.list"] = (true, async (c, s) => (await c.Members.ListAsync()).Any(m => m.UserId == s.Target)),
        ["member.change_role"] = (false, async (c, s) => (await c.Members.ChangeRoleAsync(s.Target, OrgRole.Viewer)).Succeeded),
        ["member.remove"] = (false, async (c, s) => (await c.Members.RemoveAsync(s.Target)).Succeeded),
        ["member.suspend"] = (false, async (c, s) => (await c.Members.SetStatusAsync(s.Target, suspended: true)).Succeeded),
        ["member.manage_owners"] = (false, async (c, s) => (await c.Members.ChangeRoleAsync(s.SecondOwner, OrgRole.Admin)).Succeeded),
        ["member.leave"] = (false, async (c, s) => (await c.Members.LeaveAsync()).Succeeded),
        ["invitation.create"] = (false, async (c, s) => (await c.Invitations.InviteAsync("new.person@example.com", OrgRole.Member, [], "https://portal.example/")).Result.Succeeded),
        ["invitation.create_owner"] = (false, async (c, s) => (await c.Invitations.InviteAsync("new.owner@example.com", OrgRole.Owner, [], "https://portal.example/")).Result.Succeeded),
        ["invitation.list"] = (true, async (c, s) => (await c.Invitations.PendingAsync()).Any(i => i.Id == s.Invitation)),
        ["invitation.revoke"] = (false, async (c, s) => (await c.Invitations.RevokeAsync(s.Invitation)).Succeeded),
        ["audit.view"] = (true, async (c, s) => (await c.Audit.PageAsync(new AuditFilter())).Events.Count > 0),
    };

    /// <summary>(action, column, allowed) for every cell of the documented table.</summary>
    public static TheoryData<string, string, bool> Matrix()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var (action, cells) in DocumentedRows())
        {
            for (var i = 0; i < Columns.Length; i++)
            {
                data.Add(action, Columns[i].Column, cells[i]);
            }
        }

        return data;
    }

    private static List<(string Action, bool[] Cells)> DocumentedRows()
    {
        var text = File.ReadAllText(Path.Combine(AppProcess.RepositoryRoot, "docs", "permissions.md"));
        return [.. Row().Matches(text).Select(m => (m.Groups["action"].Value, m.Groups["cell"].Captures.Select(c => c.Value == "✓").ToArray()))];
    }

    [Fact]
    public void Every_documented_action_has_a_check_and_every_check_is_documented()
    {
        var documented = DocumentedRows().Select(r => r.Action).ToList();
        Assert.True(documented.Count >= 20, $"Only {documented.Count} rows were read from docs/permissions.md.");
        Assert.Equal(documented.Distinct().Order(), Actions.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_role_may_do_exactly_what_the_table_says(string action, string column, bool allowed)
    {
        var (reads, attempt) = Actions[action];
        var (_, role, workspaceRole) = Columns.Single(c => c.Column == column);
        var scene = await SceneAsync(role, workspaceRole);
        var before = await SnapshotAsync(scene.Org);

        await using var circuit = await circuits.OpenAsync(scene.Actor);
        Assert.Equal((scene.Org, role, scene.Workspace), (circuit.Tenant.OrgId, circuit.Tenant.OrgRole, circuit.Tenant.WorkspaceId));
        var succeeded = await attempt(circuit, scene);

        var after = await SnapshotAsync(scene.Org);
        Assert.True(succeeded == allowed, $"{column} {(succeeded ? "could" : "could not")} do {action}; the table says {(allowed ? "✓" : "✗")}.");
        if (!allowed || reads)
        {
            Assert.Equal(before, after);  // A refusal (or a read) changes nothing.
        }
        else
        {
            Assert.NotEqual(before, after);
        }
    }

    private async Task<Scene> SceneAsync(string role, string workspaceRole)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var owner = await Tenants.CreateUserAsync(Db, $"first-owner-{tag}@example.com", plan: "pro");
        var secondOwner = await Tenants.CreateUserAsync(Db, $"second-owner-{tag}@example.com");
        var actor = await Tenants.CreateUserAsync(Db, $"actor-{tag}@example.com");
        var target = await Tenants.CreateUserAsync(Db, $"target-{tag}@example.com");
        var slug = $"matrix-{tag}";
        var org = await Tenants.CreateOrganizationAsync(Db, owner, slug, "Matrix");
        var workspace = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @o", ("o", org));
        await Tenants.AddMemberAsync(Db, owner, org, secondOwner, OrgRole.Owner);
        await Tenants.AddMemberAsync(Db, owner, org, actor, role, workspace, workspaceRole);
        await Tenants.AddMemberAsync(Db, owner, org, target, OrgRole.Member, workspace);
        var project = await Tenants.CreateProjectAsync(Db, owner, org, workspace, "website", "Website");
        var invitation = await Tenants.CreateInvitationAsync(Db, owner, org, $"pending-{tag}@example.com");
        var agent = await Tenants.CreateAgentAsync(Db, owner, org, project, "greeter");
        var secret = await Tenants.CreateApiKeyAsync(Db, owner, org, agent, "main", Capability.Communicate, Capability.ManageDecisions);
        var key = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM api_keys WHERE agent_id = @a", ("a", agent));
        var decision = await Tenants.ProposeDecisionAsync(Db, secret, "Ship it?", "ship", "wait");
        return new Scene(org, slug, actor, secondOwner, target, workspace, project, invitation, agent, key, decision);
    }

    /// <summary>Every row of the organization, hashed: equal snapshots mean nothing changed.</summary>
    private Task<string?> SnapshotAsync(Guid org) => Sql.ScalarAsync<string>(Db.AdminConnectionString, """
        SELECT md5(concat_ws('|',
            (SELECT string_agg(o::text, ',') FROM organizations o WHERE o.id = @o),
            (SELECT string_agg(m::text, ',' ORDER BY m.user_id) FROM org_members m WHERE m.org_id = @o),
            (SELECT string_agg(w::text, ',' ORDER BY w.id) FROM workspaces w WHERE w.org_id = @o),
            (SELECT string_agg(x::text, ',' ORDER BY x.workspace_id, x.user_id) FROM workspace_members x WHERE x.org_id = @o),
            (SELECT string_agg(p::text, ',' ORDER BY p.id) FROM projects p WHERE p.org_id = @o),
            (SELECT string_agg(i::text, ',' ORDER BY i.id) FROM org_invitations i WHERE i.org_id = @o),
            (SELECT string_agg(a::text, ',' ORDER BY a.id) FROM agents a WHERE a.org_id = @o),
            (SELECT string_agg(k::text, ',' ORDER BY k.id) FROM api_keys k WHERE k.org_id = @o),
            (SELECT string_agg(d::text, ',' ORDER BY d.id) FROM decisions d WHERE d.org_id = @o)))
        """, ("o", org));

    public ValueTask DisposeAsync() => circuits.DisposeAsync();

    [GeneratedRegex(@"^\| `(?<action>[a-z_.]+)` [^|]*\|(?: (?<cell>[✓✗]) \|){6}\s*$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
