using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Hosting;

namespace TenantPortal.Bench;

/// <summary>
/// The agent API under load: 32 concurrent clients, each an agent of one organization's project with its own key,
/// call the app over loopback HTTP (the app as its own Release process, as it runs in production) for a fixed time per
/// round. Authenticated <c>GET /api/v1/me</c> is compared with a baseline endpoint of the same app that does one
/// unauthenticated database round trip (<c>GET /bench/read</c>), and <c>POST /api/v1/messages</c> (with its audit
/// event) with a baseline that inserts the same content into a plain table (<c>POST /bench/write</c>). Rounds
/// alternate between the four, so drift weighs on all alike. Writes bench/results/agent-api.md and a JSON file.
/// </summary>
internal static class AgentApiBench
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const int Clients = 32;
    private const int Rounds = 3;
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Measured = TimeSpan.FromSeconds(8);

    private sealed record Scenario(string Name, Func<HttpClient, int, HttpRequestMessage> Request, HttpStatusCode Expected);

    private sealed record Outcome(string Name, long Requests, double Seconds, double P50, double P99, long Errors)
    {
        public double PerSecond => Requests / Seconds;
    }

    /// <param name="partsOnly">Only the statement timings (no load, no report): a quick look while changing them.</param>
    public static async Task RunAsync(bool partsOnly = false)
    {
        await using var database = await BenchDatabase.StartAsync();
        var (owner, keys) = await SeedAsync(database);
        if (partsOnly)
        {
            await PartsAsync(database, keys[0]);
            await using var connection = new NpgsqlConnection(database.App);
            await connection.OpenAsync();
            foreach (var sql in new[]
            {
                $"SELECT key_id FROM app.enter_agent_context('{keys[0]}', '127.0.0.1', 'bench')",
                "EXPLAIN (ANALYZE, SUMMARY) INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content) SELECT org_id, workspace_id, project_id, id, app.current_key_id(), 'status.update', 'x' FROM agents WHERE id = app.current_actor_id()",
            })
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    Console.WriteLine(reader.GetValue(0));
                }
            }

            return;
        }

        var port = EmbeddedPostgres.FreeLoopbackPort();
        using var app = StartApp(database, port);
        try
        {
            var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
            using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, app);

            var body = JsonSerializer.Serialize(new { messageType = "status.update", content = "Nightly build is green; 1,204 tests passed." });
            var scenarios = new[]
            {
                new Scenario("Baseline read (GET /bench/read)", (_, _) => new HttpRequestMessage(HttpMethod.Get, "bench/read"), HttpStatusCode.OK),
                new Scenario("GET /api/v1/me", (_, client) => Authorized(new HttpRequestMessage(HttpMethod.Get, "api/v1/me"), keys[client]), HttpStatusCode.OK),
                new Scenario("Baseline insert (POST /bench/write)", (_, _) => Json(new HttpRequestMessage(HttpMethod.Post, "bench/write"), body), HttpStatusCode.Created),
                new Scenario("POST /api/v1/messages", (_, client) => Authorized(Json(new HttpRequestMessage(HttpMethod.Post, "api/v1/messages"), body), keys[client]),
                    HttpStatusCode.Created),
            };

            var samples = scenarios.ToDictionary(s => s.Name, _ => new List<(long Requests, double Seconds, List<double> Latencies, long Errors)>());
            for (var round = 0; round < Rounds; round++)
            {
                foreach (var scenario in scenarios)
                {
                    var sample = await LoadAsync(http, scenario);
                    samples[scenario.Name].Add(sample);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round + 1}: {scenario.Name}: {sample.Requests / sample.Seconds:F0} requests/s, {sample.Errors} errors"));
                }
            }

            var outcomes = scenarios.Select(s =>
            {
                var all = samples[s.Name];
                var latencies = all.SelectMany(a => a.Latencies).Order().ToList();
                return new Outcome(s.Name, all.Sum(a => a.Requests), all.Sum(a => a.Seconds), Percentile(latencies, 0.50), Percentile(latencies, 0.99),
                    all.Sum(a => a.Errors));
            }).ToList();
            var chain = await ChainFactsAsync(database, owner);
            var parts = await PartsAsync(database, keys[0]);
            await WriteAsync(outcomes, chain, parts);
        }
        finally
        {
            if (!app.HasExited)
            {
                app.Kill(entireProcessTree: true);
                await app.WaitForExitAsync();
            }
        }
    }

    /// <summary>One round of one scenario: every client sends its next request when the last is answered, for the warm-up and then the measured time.</summary>
    private static async Task<(long Requests, double Seconds, List<double> Latencies, long Errors)> LoadAsync(HttpClient http, Scenario scenario)
    {
        var latencies = new List<double>[Clients];
        var errors = 0L;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(Warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(Measured.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            var mine = latencies[client] = new List<double>(4096);
            while (true)
            {
                var sent = Stopwatch.GetTimestamp();
                if (sent >= end)
                {
                    return;
                }

                using var request = scenario.Request(http, client);
                using var response = await http.SendAsync(request);
                await response.Content.LoadIntoBufferAsync();
                var answered = Stopwatch.GetTimestamp();
                if (sent >= measureFrom && answered <= end)
                {
                    mine.Add(Stopwatch.GetElapsedTime(sent, answered).TotalMilliseconds);
                    if (response.StatusCode != scenario.Expected)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }
        })));
        var all = latencies.SelectMany(l => l).ToList();
        return (all.Count, Measured.TotalSeconds, all, errors);
    }

    private static HttpRequestMessage Authorized(HttpRequestMessage request, string key)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    private static HttpRequestMessage Json(HttpRequestMessage request, string body)
    {
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return request;
    }

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    /// <summary>One organization, one active project, 32 active agents with a key each (communicate; limit far above the load), and the baseline's table.</summary>
    private static async Task<((Guid User, Guid Org) Owner, string[] Keys)> SeedAsync(BenchDatabase database)
    {
        var user = Guid.NewGuid();
        var org = Guid.NewGuid();
        var project = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(database.Owner);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand("""
            INSERT INTO users (id, user_name, normalized_user_name, email, normalized_email, email_confirmed,
                               phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
            VALUES (@user, 'owner@bench.invalid', 'OWNER@BENCH.INVALID', 'owner@bench.invalid', 'OWNER@BENCH.INVALID', true, false, false, true, 0);
            INSERT INTO organizations (id, slug, name, plan, created_by) VALUES (@org, 'bench-agents', 'Bench agents', 'max', @user);
            INSERT INTO org_members (org_id, user_id, role) VALUES (@org, @user, 'owner');
            INSERT INTO workspaces (org_id, slug, name, created_by) VALUES (@org, 'general', 'General', @user);
            INSERT INTO projects (org_id, workspace_id, id, slug, name, status)
            VALUES (@org, (SELECT id FROM workspaces WHERE org_id = @org), @project, 'swarm', 'Swarm', 'active');
            CREATE TABLE bench_baseline (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), content text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
            GRANT SELECT, INSERT ON bench_baseline TO portal_app;
            """, connection))
        {
            command.Parameters.AddWithValue("user", user);
            command.Parameters.AddWithValue("org", org);
            command.Parameters.AddWithValue("project", project);
            await command.ExecuteNonQueryAsync();
        }

        var keys = new string[Clients];
        for (var i = 0; i < Clients; i++)
        {
            var agent = Guid.NewGuid();
            var key = ApiKeyFormat.Generate(project, agent);
            await using var command = new NpgsqlCommand("""
                INSERT INTO agents (org_id, workspace_id, project_id, id, name, display_name, status)
                SELECT org_id, workspace_id, id, @agent, @name, @name, 'active' FROM projects WHERE id = @project;
                INSERT INTO api_keys (org_id, workspace_id, project_id, agent_id, name, key_hash, prefix, last_four, capabilities, rate_limit_per_minute, created_by)
                SELECT org_id, workspace_id, id, @agent, 'key_' || @index, @hash, @prefix, @last, ARRAY['communicate'], 100000, @user FROM projects WHERE id = @project;
                """, connection);
            command.Parameters.AddWithValue("agent", agent);
            command.Parameters.AddWithValue("name", $"agent-{i:D2}");
            command.Parameters.AddWithValue("index", i.ToString("D2", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("project", project);
            command.Parameters.AddWithValue("hash", key.Hash);
            command.Parameters.AddWithValue("prefix", key.Prefix);
            command.Parameters.AddWithValue("last", key.LastFour);
            command.Parameters.AddWithValue("user", user);
            await command.ExecuteNonQueryAsync();
            keys[i] = key.Key;
        }

        await using (var analyze = new NpgsqlCommand("ANALYZE", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        return ((user, org), keys);
    }

    /// <summary>The app's Release build as its own process on the bench database, with the baselines mapped.</summary>
    private static Process StartApp(BenchDatabase database, int port)
    {
        var appDirectory = Path.Combine(Path.GetDirectoryName(BenchDatabase.BenchDirectory())!, "TenantPortal");
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(appDirectory, "bin", "Release", "net10.0", "TenantPortal.dll"));
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add($"http://127.0.0.1:{port}");
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["Logging__LogLevel__Default"] = "Warning";
        startInfo.Environment["ConnectionStrings__Portal"] = database.App;
        startInfo.Environment["ConnectionStrings__PortalMigrations"] = database.Owner;
        startInfo.Environment["Bench__Baselines"] = "true";
        var process = Process.Start(startInfo)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"app: {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"app: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process app)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (app.HasExited)
            {
                throw new InvalidOperationException($"The app exited with code {app.ExitCode}.");
            }

            try
            {
                using var response = await http.GetAsync("health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The app did not become healthy within a minute.");
    }

    /// <summary>
    /// Where a request's database time goes: each statement the app sends for /me and POST /messages, timed alone on
    /// one connection as portal_app (median microseconds of many calls, round trip included), against the baselines' statements.
    /// </summary>
    private static async Task<List<(string Part, double Micros)>> PartsAsync(BenchDatabase database, string key)
    {
        await using var connection = new NpgsqlConnection(database.App);
        await connection.OpenAsync();
        async Task<double> TimeAsync(string sql, params object[] values)
        {
            var times = new List<double>();
            for (var i = 0; i < 1200; i++)
            {
                await using var command = new NpgsqlCommand(sql, connection);
                foreach (var value in values)
                {
                    command.Parameters.Add(value as NpgsqlParameter is { } named ? named.Clone() : new NpgsqlParameter { Value = value });
                }

                var start = Stopwatch.GetTimestamp();
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                    }
                }

                if (i >= 200)
                {
                    times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }
            }

            times.Sort();
            return times[times.Count / 2];
        }

        var parts = new List<(string, double)>
        {
            ("Baseline read: SELECT now()", await TimeAsync("SELECT now()")),
            ("Baseline insert: INSERT INTO bench_baseline", await TimeAsync("INSERT INTO bench_baseline (content) VALUES ($1) RETURNING created_at", "Nightly build is green.")),
            ("app.reset_connection()", await TimeAsync("SELECT app.reset_connection()")),
            ("app.enter_agent_context(key)", await TimeAsync("SELECT key_id FROM app.enter_agent_context($1, '127.0.0.1', 'bench')", key)),
            ("app.count_agent_request() (in the context)", await TimeAsync("SELECT allowed FROM app.count_agent_request()")),
            ("app.context_is_valid() (the signature check every context getter makes)", await TimeAsync("SELECT app.context_is_valid()")),
            ("Admission: app.enter_agent_context(key) and app.count_agent_request() in one round trip (all /me needs)",
                await TimeAsync("SELECT key_id FROM app.enter_agent_context(@key, '127.0.0.1', 'bench'); SELECT allowed FROM app.count_agent_request()",
                    new NpgsqlParameter("key", key))),
            ("POST /messages' insert (in the context; trigger, audit event, feed position)", await TimeAsync("""
                INSERT INTO agent_messages (org_id, workspace_id, project_id, agent_id, api_key_id, message_type, content)
                SELECT org_id, workspace_id, project_id, id, app.current_key_id(), 'status.update', $1 FROM agents WHERE id = app.current_actor_id()
                RETURNING id
                """, "Nightly build is green.")),
        };
        foreach (var (part, micros) in parts)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{part}: {micros:F0} µs"));
        }

        return parts;
    }

    /// <summary>The organization's chain after the run: its events and whether it still verifies (walked as its owner).</summary>
    private static async Task<(long Events, bool Verified)> ChainFactsAsync(BenchDatabase database, (Guid User, Guid Org) owner)
    {
        await using var connection = new NpgsqlConnection(database.App);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT app.enter_user_context(@user, @org, '127.0.0.1', 'bench');
            SELECT events, ok FROM app.verify_audit_chain(@org);
            """, connection);
        command.Parameters.AddWithValue("user", owner.User);
        command.Parameters.AddWithValue("org", owner.Org);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetBoolean(1));
    }

    private static async Task WriteAsync(List<Outcome> outcomes, (long Events, bool Verified) chain, List<(string Part, double Micros)> parts)
    {
        var readBase = outcomes[0];
        var me = outcomes[1];
        var writeBase = outcomes[2];
        var post = outcomes[3];
        var report = new StringBuilder();
        report.AppendLine("# Agent API under load").AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Run {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores: {Clients} concurrent clients, each an agent of one organization's project with its own key, over loopback HTTP to the app's Release build (client, app and PostgreSQL share the cores); {Rounds} rounds of {Measured.TotalSeconds:F0} s per scenario (after {Warmup.TotalSeconds:F0} s of warm-up each), alternating.").AppendLine()
            .AppendLine("| Scenario | Requests/s | p50 ms | p99 ms | Errors | Ratio to its baseline |")
            .AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (outcome, baseline) in new[] { (readBase, (Outcome?)null), (me, readBase), (writeBase, null), (post, writeBase) })
        {
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {outcome.Name} | {outcome.PerSecond:F0} | {outcome.P50:F2} | {outcome.P99:F2} | {outcome.Errors} | {(baseline is null ? "baseline" : $"{outcome.PerSecond / baseline.PerSecond:F2}×")} |"));
        }

        report.AppendLine().AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Goals: `GET /me` ≥ 0.8× its baseline (measured {me.PerSecond / readBase.PerSecond:F2}×); `POST /messages` ≥ 0.5× its baseline (measured {post.PerSecond / writeBase.PerSecond:F2}×). The organization's audit chain holds {chain.Events:N0} events after the run and verifies: {(chain.Verified ? "yes" : "NO")}."));
        report.AppendLine().AppendLine("Where the database time goes: each statement alone on one connection as `portal_app`, median of 1,000 calls, round trip included.")
            .AppendLine().AppendLine("| Statement | µs |").AppendLine("|---|---:|");
        foreach (var (part, micros) in parts)
        {
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {part} | {micros:F0} |"));
        }

        var results = Path.Combine(BenchDatabase.BenchDirectory(), "results");
        Directory.CreateDirectory(results);
        var explanation = Path.Combine(results, "agent-api-explained.md");
        if (File.Exists(explanation))
        {
            report.AppendLine().AppendLine(await File.ReadAllTextAsync(explanation));
        }

        await File.WriteAllTextAsync(Path.Combine(results, "agent-api.md"), report.ToString());
        await File.WriteAllTextAsync(Path.Combine(results, $"agent-api-{DateTime.UtcNow:yyyy-MM-dd}.json"), JsonSerializer.Serialize(new
        {
            date = DateTimeOffset.UtcNow, clients = Clients, rounds = Rounds, seconds = Measured.TotalSeconds, outcomes,
            meRatio = me.PerSecond / readBase.PerSecond, postRatio = post.PerSecond / writeBase.PerSecond, chain.Events, chain.Verified,
            parts = parts.Select(p => new { p.Part, p.Micros }),
        }, Indented));
        Console.WriteLine(report);
    }
}
