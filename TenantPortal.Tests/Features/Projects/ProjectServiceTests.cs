using Npgsql;
using TenantPortal.Features;
using TenantPortal.Features.Projects;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Projects;

public sealed class ProjectServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Owners_create_edit_archive_restore_and_delete_projects_and_every_step_is_audited()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (created, id) = await owner.Projects.CreateAsync(new ProjectInput
        {
            Name = " Support bot ", Slug = "support_bot", Description = "Answers tickets", Tags = "Support, bots, support", Metadata = """{"team": "cx"}""",
        });
        Assert.True(created.Succeeded, created.Message);
        var project = (await owner.Projects.FindAsync(id!.Value))!.Project;
        Assert.Equal(("Support bot", world.GeneralA, ProjectStatus.Active), (project.Name, project.WorkspaceId, project.Status));
        Assert.Equal(["support", "bots"], project.Tags);
        Assert.Equal(5, project.MaxAgents);  // The Free plan's agents per project.
        Assert.Contains("\"team\": \"cx\"", project.Metadata, StringComparison.Ordinal);

        var input = ProjectInput.From(project);
        input.Name = "Support assistant";
        input.MaxAgents = 3;
        Assert.True((await owner.Projects.UpdateAsync(project.Id, input)).Succeeded);
        Assert.True((await owner.Projects.SetStatusAsync(project.Id, ProjectStatus.Archived)).Succeeded);
        Assert.DoesNotContain((await owner.Projects.PageAsync(new ProjectQuery())).Rows, r => r.Id == project.Id);
        Assert.Contains((await owner.Projects.PageAsync(new ProjectQuery(Status: ProjectStatus.Archived))).Rows, r => r.Id == project.Id);
        Assert.True((await owner.Projects.SetStatusAsync(project.Id, ProjectStatus.Active)).Succeeded);

        var wrongConfirmation = await owner.Projects.DeleteAsync(project.Id, "support");
        Assert.Equal(("Confirmation", "Type support_bot to confirm."), (wrongConfirmation.Field, wrongConfirmation.Message));
        Assert.NotNull(await owner.Projects.FindAsync(project.Id));
        Assert.True((await owner.Projects.DeleteAsync(project.Id, "support_bot")).Succeeded);
        Assert.Null(await owner.Projects.FindAsync(project.Id));

        var actions = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE entity_type = 'projects' AND entity_id = @id ORDER BY seq", ("id", project.Id.ToString()));
        Assert.Equal(["project_create", "project_update", "project_archive", "project_restore", "project_delete"], actions);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(DISTINCT project_id) FROM audit_events WHERE entity_type = 'projects' AND entity_id = @id AND project_id = @id::uuid", ("id", project.Id.ToString())));
    }

    public static TheoryData<string, string> BadSlugs => new()
    {
        { "ab", SlugRule.Project.Rule },
        { "Website_A", SlugRule.Project.Rule },
        { "my-project", SlugRule.Project.Rule },
        { "1st_project", SlugRule.Project.Rule },
        { "trailing_", SlugRule.Project.Rule },
        { new string('a', 51), SlugRule.Project.Rule },
        { "projekt_münchen", SlugRule.Project.Rule },
        { "ｆｕｌｌｗｉｄｔｈ", SlugRule.Project.Rule },
        { "x'; DROP TABLE projects; --", SlugRule.Project.Rule },
        { "admin", "“admin” is reserved; choose another." },
        { "default", "“default” is reserved; choose another." },
        { "website", "That address is already taken; choose another." },
        { "", "Enter a short name for the address. " + SlugRule.Project.Rule },
    };

    [Theory]
    [MemberData(nameof(BadSlugs))]
    public async Task Bad_slugs_are_field_errors_and_create_nothing(string slug, string message)
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (result, id) = await owner.Projects.CreateAsync(new ProjectInput { Name = "Anything", Slug = slug });

        Assert.Equal(("Slug", message), (result.Field, result.Message));
        Assert.Null(id);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM projects WHERE org_id = @o", ("o", world.OrgA)));
    }

    [Theory]
    [InlineData("x'; DROP TABLE projects; --")]
    [InlineData("projekt_münchen")]
    [InlineData("root")]
    [InlineData("a-b-c")]
    public async Task The_database_refuses_bad_slugs_that_skip_the_application(string slug)
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var connection = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);

        var error = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(connection,
            "INSERT INTO projects (org_id, workspace_id, slug, name) VALUES (@o, @w, @s, 'Name')", ("o", world.OrgA), ("w", world.GeneralA), ("s", slug)));

        Assert.Equal(("23514", "projects_slug_format"), (error.SqlState, error.ConstraintName));
        // Positive control: a valid slug in the same statement is accepted.
        await Sql.ExecuteAsync(connection, "INSERT INTO projects (org_id, workspace_id, slug, name) VALUES (@o, @w, 'a_1', 'Name')", ("o", world.OrgA), ("w", world.GeneralA));
    }

    [Fact]
    public async Task Twenty_concurrent_creations_at_a_limit_of_three_create_exactly_three()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var owner = await Tenants.CreateUserAsync(Db, $"limit-{tag}@example.com");
        var org = await Tenants.CreateOrganizationAsync(Db, owner, $"limit-{tag}", "Limited");
        var workspace = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @o", ("o", org));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                await Tenants.CreateProjectAsync(Db, owner, org, workspace, $"project_{i}", $"Project {i}");
                return "created";
            }
            catch (PostgresException ex)
            {
                return ex.MessageText;
            }
        }));

        Assert.Equal(3, attempts.Count(a => a == "created"));
        Assert.All(attempts.Where(a => a != "created"), a => Assert.Equal("plan_limit_projects|free|3", a));
        Assert.Equal(3L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM projects WHERE org_id = @o", ("o", org)));

        // Through the service, the limit is a sentence naming it and the plan.
        await using var circuit = await circuits.OpenAsync(owner);
        var (result, _) = await circuit.Projects.CreateAsync(new ProjectInput { Name = "Fourth", Slug = "fourth" });
        Assert.Null(result.Field);
        Assert.StartsWith("The Free plan allows 3 projects per organization", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_agents_above_the_plan_is_refused_with_the_limit_named()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (result, id) = await owner.Projects.CreateAsync(new ProjectInput { Name = "Crowd", Slug = "crowd", MaxAgents = 6 });

        Assert.False(result.Succeeded);
        Assert.Null(id);
        Assert.Equal("The Free plan allows at most 5 agents per project; choose 5 or fewer.", result.Message);
        var (fits, _) = await owner.Projects.CreateAsync(new ProjectInput { Name = "Crowd", Slug = "crowd", MaxAgents = 5 });
        Assert.True(fits.Succeeded);
    }

    [Fact]
    public async Task Pages_sort_and_filter_on_the_server()
    {
        var (owner, org, workspace) = await MaxOrganizationAsync("many", "Many");
        await using (var connection = await Tenants.OpenAsync(Db, owner, org))
        {
            await Sql.ExecuteAsync(connection, """
                INSERT INTO projects (org_id, workspace_id, slug, name, description, status, tags)
                SELECT @o, @w, 'p_' || lpad(i::text, 3, '0'), 'Project ' || lpad(i::text, 3, '0'),
                       CASE WHEN i = 7 THEN '100% done' END,
                       CASE WHEN i % 10 = 0 THEN 'archived' WHEN i % 10 = 1 THEN 'suspended' ELSE 'active' END,
                       CASE WHEN i % 3 = 0 THEN ARRAY['even-three'] ELSE ARRAY[]::text[] END
                FROM generate_series(1, 120) i
                """, ("o", org), ("w", workspace));
        }

        await using var circuit = await circuits.OpenAsync(owner);
        var page = await circuit.Projects.PageAsync(new ProjectQuery(SortBy: ProjectQuery.ByName, Descending: true, Skip: 25, Take: 25));
        Assert.Equal(108, page.Total);  // 12 archived ones are hidden by default.
        Assert.Equal(25, page.Rows.Count);
        Assert.Equal("Project 092", page.Rows[0].Name);  // 119..93 without 110 and 100 are the 25 names before it.

        Assert.Equal(40, (await circuit.Projects.PageAsync(new ProjectQuery(Status: ProjectQuery.AllStatuses, Tag: "Even-Three"))).Total);
        Assert.Equal(12, (await circuit.Projects.PageAsync(new ProjectQuery(Status: ProjectStatus.Suspended))).Total);
        var percent = await circuit.Projects.PageAsync(new ProjectQuery(Search: "100%"));
        Assert.Equal(["Project 007"], percent.Rows.Select(r => r.Name));
        Assert.Equal(0, (await circuit.Projects.PageAsync(new ProjectQuery(Search: "p\\_%"))).Total);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Paging_on_from_a_cursor_gives_the_pages_that_counting_gives(bool descending)
    {
        var (owner, org, workspace) = await MaxOrganizationAsync("cursor", "Cursor");
        await using (var connection = await Tenants.OpenAsync(Db, owner, org))
        {
            // Names that tie once lowered (the id decides), and an archived one the default filter leaves out.
            await Sql.ExecuteAsync(connection, """
                INSERT INTO projects (org_id, workspace_id, slug, name, status)
                SELECT @o, @w, 'p_' || i, CASE WHEN i % 4 = 0 THEN 'Alpha' WHEN i % 4 = 1 THEN 'ALPHA' ELSE 'Project ' || (i % 23) END,
                       CASE WHEN i = 5 THEN 'archived' ELSE 'active' END
                FROM generate_series(1, 57) i
                """, ("o", org), ("w", workspace));
        }

        await using var circuit = await circuits.OpenAsync(owner);
        var counted = new List<Guid>();
        var continued = new List<Guid>();
        ProjectCursor? after = null;
        for (var skip = 0; skip < 70; skip += 10)
        {
            counted.AddRange((await circuit.Projects.PageAsync(new ProjectQuery(Descending: descending, Skip: skip, Take: 10))).Rows.Select(r => r.Id));
            var page = await circuit.Projects.PageAsync(new ProjectQuery(Descending: descending, Skip: skip, Take: 10, After: after));
            continued.AddRange(page.Rows.Select(r => r.Id));
            after = page.Next;
        }

        Assert.Equal(56, counted.Count);
        Assert.Equal(counted.Distinct().Count(), counted.Count);
        Assert.Equal(counted, continued);
        // A cursor from the name order is not used for another order: the page is counted as before.
        var byCreated = await circuit.Projects.PageAsync(new ProjectQuery(SortBy: ProjectQuery.ByCreated, Skip: 10, Take: 10, After: new ProjectCursor("zzz", Guid.Empty)));
        Assert.Equal(10, byCreated.Rows.Count);
        Assert.Null(byCreated.Next);
    }

    /// <summary>An owner on the Max plan, their organization and its one workspace, for lists of many projects.</summary>
    private async Task<(Guid Owner, Guid Org, Guid Workspace)> MaxOrganizationAsync(string slug, string name)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var owner = await Tenants.CreateUserAsync(Db, $"{slug}-{tag}@example.com", plan: "max");
        var org = await Tenants.CreateOrganizationAsync(Db, owner, $"{slug}-{tag}", name);
        var workspace = await Sql.ScalarAsync<Guid>(Db.AdminConnectionString, "SELECT id FROM workspaces WHERE org_id = @o", ("o", org));
        return (owner, org, workspace);
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
