using System.Text.RegularExpressions;
using TenantPortal.Data;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Data;

/// <summary>
/// The SQL layout: routines live once, in repeatable files; migrations hold tables and data; the migrator applies what
/// changed and nothing else.
/// </summary>
public sealed partial class SchemaLayoutTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public void Every_routine_is_defined_in_one_file_and_migrations_define_none()
    {
        var scripts = SchemaScript.Embedded();
        // Positive control: the scan finds the routines we know about.
        Assert.Contains(Definitions(scripts), d => d.Routine == "app.enter_user_context" && d.File == "routines/11_entering.sql");

        Assert.Empty(LayoutProblems(scripts));
    }

    [Fact]
    public void A_function_restated_in_a_second_file_or_in_a_migration_is_reported()
    {
        var scripts = SchemaScript.Embedded().ToList();
        scripts.Add(new SchemaScript(SchemaScript.Routines, "99_again.sql",
            "CREATE OR REPLACE FUNCTION app.audit_row_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$;"));
        scripts.Add(new SchemaScript(SchemaScript.Migration, "29990101000000_Later.sql",
            "create function app.later() returns int language sql as $$ select 1 $$;"));

        Assert.Equal(
        [
            "app.audit_row_change is defined in routines/30_audit.sql, routines/99_again.sql",
            "app.later is defined in a migration (migration/29990101000000_Later.sql); routines belong in Routines/",
        ], LayoutProblems(scripts));
    }

    [Fact]
    public async Task Running_the_migrator_again_changes_nothing()
    {
        await using var databaseScope = await fixture.Cluster.ScratchDatabaseAsync("remigrate");
        var database = databaseScope.Database;
        var before = await CatalogAsync(database);

        var applied = await SchemaMigrator.MigrateAsync(database.OwnerConnectionString, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Empty(applied);
        Assert.Equal(before, await CatalogAsync(database));
        Assert.Contains("routines 30_audit.sql", before, StringComparison.Ordinal); // positive control: the history is in the snapshot
    }

    [Fact]
    public async Task A_changed_routine_file_is_applied_again_and_the_security_declarations_after_it()
    {
        await using var databaseScope = await fixture.Cluster.ScratchDatabaseAsync("routinechange");
        var database = databaseScope.Database;
        var scripts = SchemaScript.Embedded()
            .Select(s => s.Name == "20_validation.sql"
                ? s with { Sql = s.Sql.Replace("'api', 'new'", "'api', 'new', 'reserved'", StringComparison.Ordinal) }
                : s)
            .ToList();

        var applied = await SchemaMigrator.MigrateAsync(database.OwnerConnectionString, scripts, TestContext.Current.CancellationToken);

        Assert.Equal(["routines/20_validation.sql", "security/routines.sql", "security/tables.sql"], applied);
        Assert.False(await Sql.ScalarAsync<bool>(database.AppConnectionString, "SELECT app.is_valid_slug('reserved')"));
        Assert.True(await Sql.ScalarAsync<bool>(database.AppConnectionString, "SELECT app.is_valid_slug('acme')"));
        Assert.Empty(await SchemaMigrator.MigrateAsync(database.OwnerConnectionString, scripts, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_is_refused_and_nothing_changes()
    {
        await using var databaseScope = await fixture.Cluster.ScratchDatabaseAsync("editedmigration");
        var database = databaseScope.Database;
        var scripts = SchemaScript.Embedded()
            .Select(s => s.Name == "20261122040000_Agents.sql" ? s with { Sql = s.Sql + "\nCREATE TABLE sneaked_in (id int);" } : s)
            .Append(new SchemaScript(SchemaScript.Routines, "99_new.sql", "CREATE FUNCTION app.newer() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;"))
            .ToList();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SchemaMigrator.MigrateAsync(database.OwnerConnectionString, scripts, TestContext.Current.CancellationToken));

        Assert.Contains("20261122040000_Agents.sql changed after it was applied", error.Message, StringComparison.Ordinal);
        // One transaction: the new routine applied before the check is gone too.
        Assert.Null(await Sql.ScalarAsync<string>(database.AdminConnectionString, "SELECT to_regprocedure('app.newer()')::text"));
    }

    [Fact]
    public async Task A_routine_created_later_is_not_executable_by_requests_until_granted()
    {
        await using var databaseScope = await fixture.Cluster.ScratchDatabaseAsync("defaultprivileges");
        var database = databaseScope.Database;
        await Sql.ExecuteAsync(database.OwnerConnectionString, "CREATE FUNCTION app.probe() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$");

        Assert.False(await Sql.ScalarAsync<bool>(database.AdminConnectionString, "SELECT has_function_privilege('portal_app', 'app.probe()', 'EXECUTE')"));
        // Positive control: a granted routine is callable.
        Assert.True(await Sql.ScalarAsync<bool>(database.AdminConnectionString, "SELECT has_function_privilege('portal_app', 'app.current_org_id()', 'EXECUTE')"));
    }

    private static List<(string Routine, string File)> Definitions(IEnumerable<SchemaScript> scripts) =>
        [.. scripts.SelectMany(s => RoutineDefinition().Matches(s.Sql).Select(m => (m.Groups["name"].Value.ToLowerInvariant(), $"{s.Phase}/{s.Name}")))];

    /// <summary>Routines defined in more than one file, or in a migration.</summary>
    private static List<string> LayoutProblems(IReadOnlyList<SchemaScript> scripts)
    {
        var definitions = Definitions(scripts);
        var problems = definitions.GroupBy(d => d.Routine).Where(g => g.Select(d => d.File).Distinct().Count() > 1)
            .Select(g => $"{g.Key} is defined in {string.Join(", ", g.Select(d => d.File).Distinct().Order(StringComparer.Ordinal))}")
            .ToList();
        problems.AddRange(definitions.Where(d => d.File.StartsWith(SchemaScript.Migration + "/", StringComparison.Ordinal))
            .Select(d => $"{d.Routine} is defined in a migration ({d.File}); routines belong in Routines/"));
        return problems;
    }

    /// <summary>Everything the migrator could change: routine definitions, policies, triggers, grants and its own history.</summary>
    private static async Task<string> CatalogAsync(TestDatabase database) => string.Join('\n', await Sql.ColumnAsync(database.AdminConnectionString, """
        SELECT 'routine ' || pg_get_functiondef(p.oid) || coalesce(p.proacl::text, '')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('app', 'public')
        UNION ALL
        SELECT 'policy ' || p.oid || ' ' || p.polrelid::regclass || ' ' || p.polname || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
        FROM pg_policy p
        UNION ALL
        SELECT 'trigger ' || t.oid || ' ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal
        UNION ALL
        SELECT 'table ' || c.oid || ' ' || c.relname || ' ' || coalesce(c.relacl::text, '') || c.relrowsecurity || c.relforcerowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('app', 'public') AND c.relkind = 'r'
        UNION ALL
        SELECT 'history ' || phase || ' ' || name || ' ' || checksum || ' ' || applied_at FROM schema_history
        ORDER BY 1
        """));

    [GeneratedRegex(@"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+(?<name>[\w.]+)", RegexOptions.IgnoreCase)]
    private static partial Regex RoutineDefinition();
}
