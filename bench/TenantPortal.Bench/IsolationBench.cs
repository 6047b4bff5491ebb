using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace TenantPortal.Bench;

/// <summary>
/// Row-level security against an application-filtered peer on the same data, in one run. For each query:
/// (a) the peer: a role that bypasses RLS with explicit org/workspace filters, no context;
/// (b) the query as TenantPortal sends it, as portal_app inside an entered context;
/// (c) the same query without its own tenant filters, so RLS alone scopes it;
/// (d) a request on a pooled connection as the app opens one: reset and entered by the app's interceptor in one round
/// trip, then the query.
/// Writes bench/results/isolation-&lt;UTC date&gt;.json and bench/results/isolation.md.
/// </summary>
internal static class IsolationBench
{
    private const string PeerPassword = "bench-peer";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task RunAsync()
    {
        await using var database = await PrepareAsync();
        await MeasureAsync(new Roles(database.Connection("bench_peer", PeerPassword), database.App, database.Superuser), only: null, write: true);
    }

    /// <summary>
    /// The measurements alone, against a running shell (<see cref="ShellAsync"/>): its portal_app and superuser
    /// connection strings, and optionally a part of the queries' names. Prints the table; writes no results.
    /// </summary>
    public static Task MeasureShellAsync(string app, string superuser, string? only)
    {
        var peer = new NpgsqlConnectionStringBuilder(app) { Username = "bench_peer", Password = PeerPassword }.ConnectionString;
        return MeasureAsync(new Roles(peer, app, superuser), only, write: false);
    }

    private sealed record Roles(string Peer, string App, string Superuser);

    /// <summary>The generated data on a running PostgreSQL, kept until Ctrl+C, to look at plans with psql.</summary>
    public static async Task ShellAsync()
    {
        await using var database = await PrepareAsync();
        foreach (var (role, connection) in new[] { ("peer", database.Connection("bench_peer", PeerPassword)), ("portal_app", database.App), ("superuser", database.Superuser) })
        {
            var c = new NpgsqlConnectionStringBuilder(connection);
            Console.WriteLine($"{role}: PGPASSWORD={c.Password} psql -h {c.Host} -p {c.Port} -U {c.Username} {c.Database}");
        }

        Console.WriteLine($"In portal_app, enter the measured context: SELECT app.enter_user_context('{IsolationData.Owner(0)}', '{IsolationData.Org(0)}', NULL, NULL);");
        Console.WriteLine($"Measure against it: dotnet run -c Release --project bench/TenantPortal.Bench -- isolation-measure \"{database.App}\" \"{database.Superuser}\" [part of a query's name]");
        Console.WriteLine("Ctrl+C stops PostgreSQL and removes the data.");
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
        await stop.Task;
    }

    private static async Task<BenchDatabase> PrepareAsync()
    {
        var database = await BenchDatabase.StartAsync();
        var generation = Stopwatch.StartNew();
        await IsolationData.GenerateAsync(database.Superuser);
        await using (var peerRole = new NpgsqlConnection(database.Superuser))
        {
            await peerRole.OpenAsync();
            // The peer design: tenancy is the application's WHERE clause alone.
            await using var create = new NpgsqlCommand($"""
                CREATE ROLE bench_peer LOGIN BYPASSRLS PASSWORD '{PeerPassword}';
                GRANT CONNECT ON DATABASE bench TO bench_peer;
                GRANT SELECT ON ALL TABLES IN SCHEMA public TO bench_peer;
                GRANT USAGE ON SCHEMA app TO bench_peer;
                GRANT EXECUTE ON FUNCTION app.utc_day(timestamptz) TO bench_peer;
                """, peerRole);
            await create.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"Generated the data in {generation.Elapsed.TotalSeconds:F0} s.");
        return database;
    }

    private static async Task MeasureAsync(Roles database, string? only, bool write)
    {
        var (org, owner, workspace, project) = (IsolationData.Org(0), IsolationData.Owner(0), IsolationData.Workspace(0, 0), IsolationData.Project(3));
        await using var peer = await OpenAsync(database.Peer);
        await using var app = await OpenAsync(database.App);
        await EnterAsync(app, owner, org);
        var parameters = new Dictionary<string, object>
        {
            ["o"] = org, ["w"] = workspace, ["p"] = project, ["u"] = IsolationData.Member(0), ["tag"] = "billing", ["text"] = "%ticket 42%",
            ["detail"] = "%Item 1234567 %", ["fragment"] = "%1234567%", ["from"] = DateTimeOffset.UtcNow.AddDays(-30), ["to"] = DateTimeOffset.UtcNow.AddDays(-20),
            ["actions"] = new[] { "agent_update", "project_create" }, ["before"] = (long)IsolationData.BigChainEvents - 50 * 999,
        };

        // Where page 99 of the project list ends, for the page that continues from it.
        await using (var cursor = new NpgsqlCommand("""
            SELECT name_key, id FROM projects WHERE org_id = @o AND workspace_id = @w AND status <> 'archived'
            ORDER BY name_key, id OFFSET 2474 LIMIT 1
            """, peer))
        {
            cursor.Parameters.AddWithValue("o", org);
            cursor.Parameters.AddWithValue("w", workspace);
            await using var reader = await cursor.ExecuteReaderAsync();
            await reader.ReadAsync();
            (parameters["afterName"], parameters["afterId"]) = (reader.GetString(0), reader.GetGuid(1));
        }

        var requests = AppRequests.Start(database.App, owner, org);
        var results = new List<QueryResult>();
        foreach (var query in Queries.Where(q => only is null || q.Name.Contains(only, StringComparison.OrdinalIgnoreCase)))
        {
            // Round by round, so that what disturbs this machine for a moment weighs on the four alike.
            var timings = await Timing.MeasureInterleavedAsync(
                () => ExecuteAsync(peer, query.PeerSql ?? query.Sql, parameters),
                () => ExecuteAsync(app, query.Sql, parameters),
                () => ExecuteAsync(app, Unfiltered(query.Sql), parameters),
                async () =>
                {
                    await using var connection = await requests.OpenAsync();
                    await ExecuteAsync(connection, query.Sql, parameters);
                });
            var result = new QueryResult(query.Name, timings[0], timings[1], timings[2], timings[3]);
            results.Add(result);
            Console.WriteLine(result.Line);
        }

        var connections = await Timing.MeasureInterleavedAsync(
            async () =>
            {
                await using var fresh = await OpenAsync(database.App);
                await ExecuteAsync(fresh, "SELECT 1", parameters);
            },
            async () =>
            {
                await using var connection = await requests.OpenAsync();
            },
            // As connections were entered before the app reset them itself: Npgsql's DISCARD ALL (sent with the next
            // command), which also drops the session's cached plans, then the entry.
            async () =>
            {
                await using var connection = await OpenAsync(database.App);
                await EnterAsync(connection, owner, org);
            });
        var (select1, entry, discardAll) = (connections[0], connections[1], connections[2]);
        var rates = only is null or "rates" ? await AuditRates.MeasureAsync(database.App, owner, IsolationData.Owner(1)) : [];
        List<PageTimes.PageTime> pages = [];
        if (only is null or "pages")
        {
            var empty = await Seed.OrganizationAsync(database.Superuser, $"empty-{Guid.NewGuid():N}"[..14], 0);
            pages = await PageTimes.MeasureAsync(database.App, owner, empty.User);
        }

        if (write)
        {
            await WriteAsync(results, select1, entry, discardAll, rates, pages, await ServerVersionAsync(database.Superuser));
        }
        else
        {
            Console.WriteLine($"Pooled connection open + SELECT 1: {select1.P50:F2} ms; open + context entry: {entry.P50:F2} ms ({entry.P50 / select1.P50:F1}×); with DISCARD ALL: {discardAll.P50:F2} ms");
        }
    }

    /// <summary>
    /// A query as TenantPortal sends it; the parts between /*tenant*/ and /*end*/ are its own tenant filters. The peer
    /// runs the same text unless it has its own (where TenantPortal goes through a routine the peer has no need of).
    /// </summary>
    private sealed record Query(string Name, string Sql, string? PeerSql = null);

    private static readonly Query[] Queries =
    [
        new("Project list, first page by name", """
            SELECT id, slug, name, status, tags, created_at FROM projects
            WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ status <> 'archived' ORDER BY name_key, id LIMIT 25
            """),
        new("Project list, page 100", """
            SELECT id, slug, name, status, tags, created_at FROM projects
            WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ status <> 'archived' ORDER BY name_key, id OFFSET 2475 LIMIT 25
            """),
        new("Project list, page 100 from page 99's last row (seek)", """
            SELECT id, slug, name, status, tags, created_at FROM projects
            WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ status <> 'archived' AND (name_key, id) > (@afterName, @afterId)
            ORDER BY name_key, id LIMIT 25
            """),
        new("Project list, count", """
            SELECT count(*) FROM projects WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ status <> 'archived'
            """),
        new("Project list, tag filter", """
            SELECT id, name FROM projects
            WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ status <> 'archived' AND @tag = ANY (tags) ORDER BY name_key, id LIMIT 25
            """),
        new("Project list, text filter", """
            SELECT id, name FROM projects
            WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ status <> 'archived'
              AND (name ILIKE @text ESCAPE '\' OR slug ILIKE @text ESCAPE '\' OR coalesce(description, '') ILIKE @text ESCAPE '\')
            ORDER BY name_key, id LIMIT 25
            """),
        new("Project overview counts", """
            SELECT status, count(*) FROM projects WHERE /*tenant*/org_id = @o AND workspace_id = @w AND/*end*/ true GROUP BY status
            """),
        new("Agents of a project", """
            SELECT a.id, a.name, a.status, (SELECT count(*) FROM api_keys k WHERE /*tenant*/k.org_id = @o AND/*end*/ k.agent_id = a.id
                AND k.status = 'active' AND (k.expires_at IS NULL OR k.expires_at > now()))
            FROM agents a WHERE /*tenant*/a.org_id = @o AND/*end*/ a.project_id = @p AND a.status <> 'archived' ORDER BY a.name
            """),
        new("Key review", """
            SELECT k.id, k.name, k.prefix, k.last_used_at FROM api_keys k WHERE /*tenant*/k.org_id = @o AND/*end*/ k.status = 'active'
            ORDER BY k.created_at DESC
            """),
        new("Members list", """
            SELECT m.user_id, u.email, m.role FROM org_members m JOIN users u ON u.id = m.user_id WHERE /*tenant*/m.org_id = @o AND/*end*/ true
            """),
        new("Audit, first page", """
            SELECT * FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ true ORDER BY seq DESC LIMIT 51
            """),
        new("Audit, page 1,000", """
            SELECT * FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ seq < @before ORDER BY seq DESC LIMIT 51
            """),
        new("Audit, action and dates", """
            SELECT * FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/
              seq >= (SELECT seq FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ occurred_at >= @from ORDER BY occurred_at, seq LIMIT 1)
              AND seq <= (SELECT seq FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ occurred_at < @to ORDER BY occurred_at DESC, seq DESC LIMIT 1)
              AND action = ANY (@actions) ORDER BY seq DESC LIMIT 51
            """),
        new("Audit, actor", """
            SELECT * FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ (actor_id = @u OR api_key_id = @u) ORDER BY seq DESC LIMIT 51
            """),
        new("Audit, free text, with a word every event holds", """
            SELECT * FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ seq IN (SELECT app.audit_text_matches(@detail)) ORDER BY seq DESC LIMIT 51
            """, """
            SELECT * FROM audit_events WHERE chain_key = @o AND details::text ILIKE @detail ESCAPE '\' ORDER BY seq DESC LIMIT 51
            """),
        new("Audit, free text, a distinctive fragment", """
            SELECT * FROM audit_events WHERE /*tenant*/chain_key = @o AND/*end*/ seq IN (SELECT app.audit_text_matches(@fragment)) ORDER BY seq DESC LIMIT 51
            """, """
            SELECT * FROM audit_events WHERE chain_key = @o AND details::text ILIKE @fragment ESCAPE '\' ORDER BY seq DESC LIMIT 51
            """),
        new("Audit, activity chart", """
            SELECT day, action, sum(events) FROM audit_daily_counts WHERE /*tenant*/chain_key = @o AND/*end*/ true GROUP BY 1, 2
            """),
        new("Audit, actions and entity types", """
            SELECT DISTINCT action, entity_type FROM audit_daily_counts WHERE /*tenant*/chain_key = @o AND/*end*/ true
            """),
    ];

    private static string Unfiltered(string sql) => System.Text.RegularExpressions.Regex.Replace(sql, @"/\*tenant\*/.*?/\*end\*/", "", System.Text.RegularExpressions.RegexOptions.Singleline);

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task EnterAsync(NpgsqlConnection connection, Guid user, Guid org)
    {
        await using var command = new NpgsqlCommand("SELECT app.enter_user_context(@u, @o, '127.0.0.1', 'bench')", connection);
        command.Parameters.AddWithValue("u", user);
        command.Parameters.AddWithValue("o", org);
        await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, Dictionary<string, object> parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters.Where(p => sql.Contains("@" + p.Key, StringComparison.Ordinal)))
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
        }
    }

    private static async Task<string> ServerVersionAsync(string superuser)
    {
        await using var connection = await OpenAsync(superuser);
        await using var command = new NpgsqlCommand("SHOW server_version", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WriteAsync(List<QueryResult> results, Timing select1, Timing entry, Timing discardAll, List<AuditRates.Rate> rates, List<PageTimes.PageTime> pages, string postgres)
    {
        var now = DateTimeOffset.UtcNow;
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, PostgreSQL {postgres}";
        var folder = Path.Combine(BenchDatabase.BenchDirectory(), "results");
        Directory.CreateDirectory(folder);
        var json = JsonSerializer.Serialize(new
        {
            date = now, machine, select1, contextEntry = entry, contextEntryAfterDiscardAll = discardAll, auditRates = rates, pageTimes = pages,
            data = new { IsolationData.Organizations, IsolationData.Projects, agents = IsolationData.Projects * IsolationData.AgentsPerProject,
                auditEvents = IsolationData.BigChainEvents + (IsolationData.Organizations - 1) * IsolationData.OtherChainEvents },
            queries = results,
        }, Indented);
        await File.WriteAllTextAsync(Path.Combine(folder, $"isolation-{now:yyyy-MM-dd}.json"), json);

        var report = new StringBuilder()
            .AppendLine("# Isolation at speed: row-level security against an application-filtered peer").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Run {now:yyyy-MM-dd HH:mm} UTC on {machine}. Data: {IsolationData.Organizations} organizations, {IsolationData.Projects:N0} projects ({IsolationData.BigOrganizationProjects:N0} in the measured workspace), {IsolationData.Projects * IsolationData.AgentsPerProject:N0} agents, {IsolationData.BigChainEvents:N0} audit events in the measured organization's chain (2 M in all).")
            .AppendLine()
            .AppendLine("p50 milliseconds (p95 in the JSON); ratios to the peer (a). Goals: (b) ≤ 1.10×, (c) ≤ 1.25×, (d) ≤ 1.25× + the context entry.").AppendLine()
            .AppendLine("| Query | (a) peer | (b) in context | (c) RLS alone | (d) fresh connection |")
            .AppendLine("|---|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            report.AppendLine(r.Line);
        }

        report.AppendLine().AppendLine(CultureInfo.InvariantCulture,
            $"Pooled connection open + `SELECT 1`: {select1.P50:F2} ms; open + the app's reset and context entry: {entry.P50:F2} ms ({entry.P50 / select1.P50:F1}×, goal ≤ 2×); " +
            $"the same entry after Npgsql's `DISCARD ALL` instead: {discardAll.P50:F2} ms ({discardAll.P50 / select1.P50:F1}×).");
        report.AppendLine().AppendLine("Audit log at scale, through the app's services as the owner (verification walks and re-hashes the chain in the database; export streams CSV to a sink):").AppendLine()
            .AppendLine("| Work | Rows | Seconds | Rows per second | Managed heap peak |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var rate in rates)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {rate.Name} | {rate.Rows:N0} | {rate.Seconds:F2} | {rate.RowsPerSecond:N0} | +{rate.PeakHeapMegabytes:F1} MB |");
        }

        report.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Page time: server time to a page's first complete render with its data (a new circuit's tenant session, then the page rendered until its loads finish), the measured organization ({IsolationData.BigOrganizationProjects:N0} projects in its workspace, {IsolationData.BigChainEvents:N0} audit events) against an empty one. Goal ≤ 2×.").AppendLine()
            .AppendLine("| Page | Empty organization | Measured organization | Ratio |").AppendLine("|---|---:|---:|---:|");
        foreach (var page in pages)
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"| {page.Page} | {page.Empty.P50:F1} ms | {page.Large.P50:F1} ms | {page.Ratio:F1}× |");
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "isolation.md"), report.ToString());
        Console.WriteLine(report.ToString());
    }

    private sealed record QueryResult(string Name, Timing Peer, Timing InContext, Timing RlsAlone, Timing FreshConnection)
    {
        public string Line => string.Create(CultureInfo.InvariantCulture,
            $"| {Name} | {Peer.P50:F2} | {InContext.P50:F2} ({InContext.P50 / Peer.P50:F1}×) | {RlsAlone.P50:F2} ({RlsAlone.P50 / Peer.P50:F1}×) | {FreshConnection.P50:F2} ({FreshConnection.P50 / Peer.P50:F1}×) |");
    }
}

/// <summary>p50 and p95 of repeated runs: a warm-up, then rounds until 200 or about 2 seconds a measurement, at least 5.</summary>
internal sealed record Timing(double P50, double P95, int Rounds)
{
    /// <summary>Each of <paramref name="works"/> once a round, starting with a different one each round.</summary>
    public static async Task<Timing[]> MeasureInterleavedAsync(params Func<Task>[] works)
    {
        foreach (var work in works)
        {
            await work();
            await work();
        }

        var times = works.Select(_ => new List<double>()).ToArray();
        var budget = Stopwatch.StartNew();
        for (var round = 0; round < 5 || (round < 200 && budget.Elapsed < TimeSpan.FromSeconds(2) * works.Length); round++)
        {
            for (var i = 0; i < works.Length; i++)
            {
                var which = (round + i) % works.Length;
                var started = Stopwatch.GetTimestamp();
                await works[which]();
                times[which].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        return [.. times.Select(Of)];
    }

    private static Timing Of(List<double> times)
    {
        times.Sort();
        return new Timing(times[times.Count / 2], times[(int)Math.Ceiling(times.Count * 0.95) - 1], times.Count);
    }
}
