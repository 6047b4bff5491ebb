using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Bench;
using TenantPortal.Features.Projects;
using TenantPortal.Hosting;
using TenantPortal.Tenancy;

// The project list with 10,000 projects in a workspace, against the same queries over 100 projects (the baseline),
// measured in one run on one embedded PostgreSQL. Reports median times and their ratio; writes bench/results/project-list.md.
// With the argument "isolation": the isolation benchmark instead (see IsolationBench); "agent-api": the agent API under
// load (see AgentApiBench).
const int Baseline = 100;
const int Large = 10_000;

if (args is ["isolation-shell", ..])
{
    await IsolationBench.ShellAsync();
    return;
}

if (args is ["isolation-measure", var app, var superuser, ..])
{
    await IsolationBench.MeasureShellAsync(app, superuser, args.Length > 3 ? args[3] : null);
    return;
}

if (args is ["agent-api", ..])
{
    await AgentApiBench.RunAsync(partsOnly: args is [_, "parts", ..]);
    return;
}

if (args is ["isolation", ..])
{
    await IsolationBench.RunAsync();
    return;
}

await using var database = await BenchDatabase.StartAsync();
{
    var ownerConnection = database.Owner;
    var small = await Seed.OrganizationAsync(ownerConnection, "baseline", Baseline);
    var large = await Seed.OrganizationAsync(ownerConnection, "large", Large);
    await Seed.AnalyzeAsync(ownerConnection);

    var services = new ServiceCollection();
    services.AddPortalDbContext(database.App);
    services.AddScoped<ProjectService>();
    services.AddSingleton(TimeProvider.System);
    await using var provider = services.BuildServiceProvider();

    var scenarios = new (string Name, Func<int, ProjectQuery> Query)[]
    {
        ("First page, by name", _ => new ProjectQuery()),
        ("Last page, by name", total => new ProjectQuery(Skip: total - 25)),
        ("Newest first", _ => new ProjectQuery(SortBy: ProjectQuery.ByCreated, Descending: true)),
        ("Search in name and description", _ => new ProjectQuery(Search: "ticket 4")),
        ("Tag filter", _ => new ProjectQuery(Tag: "billing")),
        ("Status filter, suspended", _ => new ProjectQuery(Status: ProjectStatus.Suspended)),
    };

    var report = new StringBuilder();
    report.AppendLine("# Project list: 10,000 projects against 100").AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, {Measure.Rounds} rounds each after warm-up; median milliseconds per page of 25 rows,")
        .AppendLine("through `ProjectService.PageAsync` as `portal_app` with row-level security (count + page, as the list does).").AppendLine()
        .AppendLine(CultureInfo.InvariantCulture, $"| Scenario | {Baseline} projects (ms) | {Large:N0} projects (ms) | Ratio |")
        .AppendLine("|---|---:|---:|---:|");
    // The fixed cost of any request: a pooled connection is opened, the tenant context entered and checked, one round trip.
    var entry = await Measure.ContextEntryAsync(provider, large);
    report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| (Connection open, context entry and `SELECT 1`) | | {entry:F2} | |"));
    foreach (var (name, query) in scenarios)
    {
        var baseline = await Measure.MedianAsync(provider, small, query);
        var measured = await Measure.MedianAsync(provider, large, query);
        var line = string.Create(CultureInfo.InvariantCulture, $"| {name} | {baseline:F2} | {measured:F2} | {measured / baseline:F1}× |");
        report.AppendLine(line);
        Console.WriteLine(line);
    }

    var results = Path.Combine(BenchDatabase.BenchDirectory(), "results");
    Directory.CreateDirectory(results);
    await File.WriteAllTextAsync(Path.Combine(results, "project-list.md"), report.ToString());
    Console.WriteLine($"Written to {Path.Combine(results, "project-list.md")}");
}

/// <summary>An organization (Max plan) with one workspace of n projects; returns the owner's id.</summary>
internal static class Seed
{
    public static async Task<(Guid User, Guid Org)> OrganizationAsync(string ownerConnection, string name, int projects)
    {
        await using var connection = new NpgsqlConnection(ownerConnection);
        await connection.OpenAsync();
        var user = Guid.NewGuid();
        await using var command = new NpgsqlCommand("""
            INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed,
                               phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
            VALUES (@user, @email, upper(@email), @email, upper(@email), true, false, false, true, 0);
            INSERT INTO organizations (id, slug, name, plan, created_by) VALUES (@org, @slug, @slug, 'max', @user);
            INSERT INTO org_members (org_id, user_id, role) VALUES (@org, @user, 'owner');
            INSERT INTO workspaces (org_id, slug, name, created_by) VALUES (@org, 'general', 'General', @user);
            INSERT INTO projects (org_id, workspace_id, slug, name, description, status, tags, created_at)
            SELECT @org, (SELECT id FROM workspaces WHERE org_id = @org), 'project_' || i, 'Project ' || md5(i::text),
                   'Handles ticket ' || i || ' and friends',
                   CASE WHEN i % 20 = 0 THEN 'suspended' WHEN i % 50 = 1 THEN 'archived' ELSE 'active' END,
                   CASE WHEN i % 7 = 0 THEN ARRAY['billing', 'support'] ELSE ARRAY['support'] END,
                   now() - i * interval '1 minute'
            FROM generate_series(1, @n) i;
            """, connection);
        var org = Guid.NewGuid();
        command.Parameters.AddWithValue("user", user);
        command.Parameters.AddWithValue("org", org);
        command.Parameters.AddWithValue("email", $"{name}@bench.invalid");
        command.Parameters.AddWithValue("slug", $"bench-{name}");
        command.Parameters.AddWithValue("n", projects);
        await command.ExecuteNonQueryAsync();
        return (user, org);
    }

    public static async Task AnalyzeAsync(string ownerConnection)
    {
        await using var connection = new NpgsqlConnection(ownerConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("ANALYZE projects", connection);
        await command.ExecuteNonQueryAsync();
    }
}

internal static class Measure
{
    public const int Rounds = 40;

    public static async Task<double> ContextEntryAsync(IServiceProvider provider, (Guid User, Guid Org) tenant)
    {
        await using var scope = provider.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TenantSession>().InitializeAsync(Principal(tenant.User));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        return await MedianAsync(async () =>
        {
            await using var db = await factory.CreateDbContextAsync();
            await db.Database.ExecuteSqlRawAsync("SELECT 1");
        });
    }

    /// <summary>Median milliseconds of one page request for the organization's owner, in a circuit-like scope.</summary>
    public static async Task<double> MedianAsync(IServiceProvider provider, (Guid User, Guid Org) tenant, Func<int, ProjectQuery> query)
    {
        await using var scope = provider.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<TenantSession>();
        await session.InitializeAsync(Principal(tenant.User));
        var projects = scope.ServiceProvider.GetRequiredService<ProjectService>();
        var total = (await projects.PageAsync(new ProjectQuery())).Total;
        return await MedianAsync(async () =>
        {
            if ((await projects.PageAsync(query(total))).Rows.Count == 0)
            {
                throw new InvalidOperationException("A scenario returned no rows; the bench would measure nothing.");
            }
        });
    }

    private static async Task<double> MedianAsync(Func<Task> work)
    {
        for (var i = 0; i < 5; i++)
        {
            await work();
        }

        var times = new List<double>();
        for (var i = 0; i < Rounds; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await work();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>A signed-in person, as the tenant session reads one.</summary>
    public static ClaimsPrincipal Principal(Guid user) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.ToString())], "Bench"));
}
