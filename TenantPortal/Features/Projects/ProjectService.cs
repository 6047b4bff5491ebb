using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Projects;

/// <summary>What the project list shows: a status (null: all but archived; "all": every status), a tag, a text, an order and a page.</summary>
/// <remarks>
/// In name order a page can continue from <see cref="After"/> (the previous page's <see cref="ProjectPage.Next"/>): the
/// database then seeks to it along the name index instead of counting past <see cref="Skip"/> rows, so the next page
/// costs what the first does however far the list goes. Other orders, and jumps, use <see cref="Skip"/>.
/// </remarks>
public sealed record ProjectQuery(string? Status = null, string? Tag = null, string? Search = null,
    string SortBy = ProjectQuery.ByName, bool Descending = false, int Skip = 0, int Take = 25, ProjectCursor? After = null)
{
    public const string AllStatuses = "all";
    public const string ByName = "name";
    public const string ByCreated = "created";
    public const string ByActivity = "activity";
    public const string ByStatus = "status";
}

public sealed record ProjectRow(Guid Id, string Slug, string Name, string? Description, string Status, List<string> Tags,
    DateTimeOffset CreatedAt, DateTimeOffset? LastActivityAt);

/// <summary>Where a page in name order ended: the last row's sort key (projects.name_key, lower(name)) and its id.</summary>
public sealed record ProjectCursor(string NameKey, Guid Id);

/// <summary>One page, the total, and in name order the cursor the next page can continue from.</summary>
public sealed record ProjectPage(IReadOnlyList<ProjectRow> Rows, int Total, ProjectCursor? Next = null);

/// <summary>A project with what is in it: its agents and the keys that work now.</summary>
public sealed record ProjectOverview(Project Project, string WorkspaceName, string? CreatedByEmail, int Agents = 0, int ActiveKeys = 0);

/// <summary>Projects of the active workspace; owners and admins change them, and the database enforces roles, plan and isolation too.</summary>
public sealed class ProjectService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TimeProvider time)
{
    public async Task<ProjectPage> PageAsync(ProjectQuery query, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (tenant.WorkspaceId is not Guid workspaceId)
        {
            return new ProjectPage([], 0);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // The count and the page share one connection, so the context is entered once.
        await db.Database.OpenConnectionAsync(cancellationToken);
        var projects = db.Projects.Where(p => p.WorkspaceId == workspaceId);
        projects = query.Status switch
        {
            null or "" => projects.Where(p => p.Status != ProjectStatus.Archived),
            ProjectQuery.AllStatuses => projects,
            var status => projects.Where(p => p.Status == status),
        };

        if (!string.IsNullOrWhiteSpace(query.Tag))
        {
            var tag = query.Tag.Trim().ToLowerInvariant();
            projects = projects.Where(p => p.Tags.Contains(tag));
        }

        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = SqlText.ContainsPattern(query.Search);
            projects = projects.Where(p => EF.Functions.ILike(p.Name, pattern, @"\") || EF.Functions.ILike(p.Slug, pattern, @"\")
                || EF.Functions.ILike(p.Description ?? "", pattern, @"\"));
        }

        var total = await projects.CountAsync(cancellationToken);
        var ordered = (query.SortBy, query.Descending) switch
        {
            (ProjectQuery.ByCreated, false) => projects.OrderBy(p => p.CreatedAt),
            (ProjectQuery.ByCreated, true) => projects.OrderByDescending(p => p.CreatedAt),
            (ProjectQuery.ByActivity, false) => projects.OrderBy(p => p.LastActivityAt),
            (ProjectQuery.ByActivity, true) => projects.OrderByDescending(p => p.LastActivityAt),
            (ProjectQuery.ByStatus, false) => projects.OrderBy(p => p.Status),
            (ProjectQuery.ByStatus, true) => projects.OrderByDescending(p => p.Status),
            (_, false) => projects.OrderBy(p => p.NameKey),
            (_, true) => projects.OrderByDescending(p => p.NameKey),
        };

        var take = Math.Clamp(query.Take, 1, 200);
        var byName = query.SortBy is not (ProjectQuery.ByCreated or ProjectQuery.ByActivity or ProjectQuery.ByStatus);
        // In name order the id breaks ties in the list's direction, so (name_key, id) names one place in it.
        IQueryable<Project> page = byName && query.Descending ? ordered.ThenByDescending(p => p.Id) : ordered.ThenBy(p => p.Id);
        if (byName && query.After is { } after)
        {
            // A seek along (org_id, workspace_id, name_key, id): rows after the cursor's, in the list's direction.
            page = query.Descending
                ? page.Where(p => EF.Functions.LessThan(ValueTuple.Create(p.NameKey, p.Id), ValueTuple.Create(after.NameKey, after.Id)))
                : page.Where(p => EF.Functions.GreaterThan(ValueTuple.Create(p.NameKey, p.Id), ValueTuple.Create(after.NameKey, after.Id)));
        }
        else
        {
            page = page.Skip(Math.Max(query.Skip, 0));
        }

        var found = await page.Take(take)
            .Select(p => new { Row = new ProjectRow(p.Id, p.Slug, p.Name, p.Description, p.Status, p.Tags, p.CreatedAt, p.LastActivityAt), p.NameKey })
            .ToListAsync(cancellationToken);
        var next = byName && found.Count == take ? new ProjectCursor(found[^1].NameKey, found[^1].Row.Id) : null;
        return new ProjectPage(found.Select(f => f.Row).ToList(), total, next);
    }

    public async Task<ProjectOverview?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        return await db.Projects.AsNoTracking().Where(p => p.Id == id)
            .Select(p => new ProjectOverview(p,
                db.Workspaces.Where(w => w.Id == p.WorkspaceId).Select(w => w.Name).Single(),
                db.Users.Where(u => u.Id == p.CreatedBy).Select(u => u.Email).SingleOrDefault(),
                db.Agents.Count(a => a.ProjectId == p.Id && a.Status != AgentStatus.Archived),
                db.ApiKeys.Count(k => k.ProjectId == p.Id && k.Status == ApiKeyStatus.Active && (k.ExpiresAt == null || k.ExpiresAt > now))))
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Who may change a project, in the words a refusal uses.</summary>
    public const string ManagersRule = "Only the admins of this workspace and the organization's owners and admins can change its projects.";

    /// <summary>Creates a project in the active workspace.</summary>
    public async Task<(OperationResult Result, Guid? Id)> CreateAsync(ProjectInput input, CancellationToken cancellationToken = default)
    {
        var orgId = tenant.RequireOrg();
        if (tenant.WorkspaceId is not Guid workspaceId)
        {
            return (OperationResult.Fail("Choose a workspace in the switcher first; projects live in a workspace."), null);
        }

        if ((tenant.IsWorkspaceAdmin(workspaceId) ? OperationResult.Validate(input) : OperationResult.Fail(ManagersRule)) is OperationResult refused)
        {
            return (refused, null);
        }

        var project = new Project
        {
            OrgId = orgId,
            WorkspaceId = workspaceId,
            Name = input.Name.Trim(),
            Slug = input.Slug,
            Description = Normalize(input.Description),
            Tags = input.TagList(),
            MaxAgents = input.MaxAgents,
            Metadata = input.MetadataJson(),
            CreatedBy = tenant.UserId,
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Projects.Add(project);
        var result = await OperationResult.RunAsync(async () => await db.SaveChangesAsync(cancellationToken) == 1);
        return (result, result.Succeeded ? project.Id : null);
    }

    public Task<OperationResult> UpdateAsync(Guid id, ProjectInput input, CancellationToken cancellationToken = default) =>
        ChangeAsync(id, input, projects =>
        {
            // Runs once the input is valid, so its metadata parses.
            var (tags, metadata) = (input.TagList(), input.MetadataJson());
            return projects.ExecuteUpdateAsync(s => s
                .SetProperty(p => p.Name, input.Name.Trim())
                .SetProperty(p => p.Slug, input.Slug)
                .SetProperty(p => p.Description, Normalize(input.Description))
                .SetProperty(p => p.Tags, tags)
                .SetProperty(p => p.MaxAgents, input.MaxAgents)
                .SetProperty(p => p.Metadata, metadata), cancellationToken);
        }, cancellationToken);

    /// <summary>Changes the status; archiving is the status "archived", restoring sets "active".</summary>
    public Task<OperationResult> SetStatusAsync(Guid id, string status, CancellationToken cancellationToken = default) =>
        ProjectStatus.All.Contains(status)
            ? ChangeAsync(id, null, projects => projects.ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, status), cancellationToken), cancellationToken)
            : Task.FromResult(OperationResult.Fail("Choose active, inactive, suspended or archived.", "Status"));

    /// <summary>Deletes a project and everything in it, when <paramref name="confirmation"/> repeats its address.</summary>
    public async Task<OperationResult> DeleteAsync(Guid id, string confirmation, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var slug = await db.Projects.Where(p => p.Id == id).Select(p => p.Slug).SingleOrDefaultAsync(cancellationToken);
        return slug is null ? OperationResult.Fail("This project no longer exists.")
            : OperationResult.Unconfirmed(confirmation, slug) ?? await ChangeAsync(id, null, projects => projects.ExecuteDeleteAsync(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Changes one project once the caller is known to administer its workspace (and <paramref name="input"/>, if any, is
    /// valid); the database checks the same again.
    /// </summary>
    private async Task<OperationResult> ChangeAsync(Guid id, ProjectInput? input, Func<IQueryable<Project>, Task<int>> change, CancellationToken cancellationToken)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await WorkspaceChange.RunAsync(db.Projects.Where(p => p.Id == id), p => p.WorkspaceId, w => tenant.IsWorkspaceAdmin(w), ManagersRule,
            "This project no longer exists, or you cannot see it.", input, change, cancellationToken);
    }

    private static string? Normalize(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
