using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

public sealed class CatalogTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Every_tenant_table_has_forced_row_level_security_and_a_policy_for_portal_app()
    {
        var tables = await TenantCatalog.TenantTablesAsync(fixture.Database.AdminConnectionString);
        // Positive control: the catalog query finds the tables we know about.
        Assert.Superset(new HashSet<string> { "organizations", "org_members", "workspaces", "workspace_members" }, tables.ToHashSet());

        Assert.Empty(await TenantCatalog.UnprotectedAsync(fixture.Database.AdminConnectionString));
    }

    [Fact]
    public async Task A_new_tenant_table_without_forced_security_is_reported()
    {
        await using var scratchScope = await fixture.Cluster.ScratchDatabaseAsync("catalog");
        var scratch = scratchScope.Database;
        await Sql.ExecuteAsync(scratch.OwnerConnectionString, """
            CREATE TABLE forgotten (org_id uuid NOT NULL, note text);
            CREATE TABLE half_done (org_id uuid NOT NULL);
            ALTER TABLE half_done ENABLE ROW LEVEL SECURITY;
            """);

        var unprotected = await TenantCatalog.UnprotectedAsync(scratch.AdminConnectionString);

        Assert.Equal(
            ["forgotten: row level security not enabled, row level security not forced, no policy for portal_app",
             "half_done: row level security not forced, no policy for portal_app"],
            unprotected);
    }

    [Fact]
    public async Task Every_table_of_a_projects_things_is_secured_as_one_with_agents_kept_to_their_project()
    {
        var tables = await TenantCatalog.TenantTablesAsync(fixture.Database.AdminConnectionString);
        Assert.Superset(new HashSet<string> { "projects", "agents", "api_keys" }, tables.ToHashSet()); // positive control

        Assert.Empty(await TenantCatalog.UnsecuredProjectTablesAsync(fixture.Database.AdminConnectionString));
    }

    [Fact]
    public async Task A_new_project_table_secured_only_as_a_tenant_table_is_reported()
    {
        await using var scratchScope = await fixture.Cluster.ScratchDatabaseAsync("projectcatalog");
        var scratch = scratchScope.Database;
        await Sql.ExecuteAsync(scratch.OwnerConnectionString, """
            CREATE TABLE notes (org_id uuid NOT NULL, workspace_id uuid NOT NULL, project_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (org_id, id));
            CALL app.secure_tenant_table('notes');
            CREATE TABLE minutes (org_id uuid NOT NULL, workspace_id uuid NOT NULL, project_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (org_id, id));
            CALL app.secure_project_table('minutes', 'minutes');
            """);

        Assert.Equal(["notes: no project restriction for agents, not audited"],
            await TenantCatalog.UnsecuredProjectTablesAsync(scratch.AdminConnectionString));
    }

    [Fact]
    public async Task Requests_hold_no_privilege_on_the_databases_own_bookkeeping_in_schema_app()
    {
        const string Privileged = """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'app' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
              AND (has_table_privilege('portal_app', c.oid, 'SELECT') OR has_table_privilege('portal_app', c.oid, 'INSERT')
                   OR has_table_privilege('portal_app', c.oid, 'UPDATE') OR has_table_privilege('portal_app', c.oid, 'DELETE'))
            ORDER BY c.relname
            """;
        var tables = await Sql.ColumnAsync(fixture.Database.AdminConnectionString,
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app' AND c.relkind = 'r' ORDER BY 1");
        Assert.Superset(new HashSet<string> { "context_secret", "project_feed_heads" }, tables.ToHashSet()); // positive control
        Assert.Empty(await Sql.ColumnAsync(fixture.Database.AdminConnectionString, Privileged));

        await using var scratchScope = await fixture.Cluster.ScratchDatabaseAsync("appcatalog");
        await Sql.ExecuteAsync(scratchScope.Database.OwnerConnectionString, "GRANT SELECT ON app.project_feed_heads TO portal_app");
        Assert.Equal(["project_feed_heads"], await Sql.ColumnAsync(scratchScope.Database.AdminConnectionString, Privileged)); // the check can fail
    }

    [Fact]
    public async Task Every_table_with_updated_at_is_stamped_by_the_database()
    {
        Assert.Empty(await TenantCatalog.UnstampedAsync(fixture.Database.AdminConnectionString));

        await using var scratchScope = await fixture.Cluster.ScratchDatabaseAsync("stampcatalog");
        var scratch = scratchScope.Database;
        await Sql.ExecuteAsync(scratch.OwnerConnectionString, "CREATE TABLE forgotten_stamp (id int, updated_at timestamptz)");
        Assert.Equal(["forgotten_stamp"], await TenantCatalog.UnstampedAsync(scratch.AdminConnectionString));
    }

    [Fact]
    public async Task No_routine_is_callable_by_public_and_every_security_definer_routine_searches_pg_catalog_then_pg_temp()
    {
        var routines = await Sql.ColumnAsync(fixture.Database.AdminConnectionString, """
            SELECT p.proname || CASE WHEN p.prosecdef THEN ' definer' ELSE '' END
                   || CASE WHEN p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
                           THEN ' public' ELSE '' END
                   -- pg_temp named last: left out, a caller's temporary types (a domain named text, say) would be found first.
                   || CASE WHEN p.prosecdef AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c = 'search_path=pg_catalog, pg_temp')
                           THEN ' open-search-path' ELSE '' END
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('app', 'public')
            """);
        Assert.Contains("write_context definer", routines); // positive control: the routines are read, definers marked

        Assert.DoesNotContain(routines, r => r.EndsWith(" public", StringComparison.Ordinal) || r.Contains("open-search-path", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Portal_app_may_call_only_the_granted_context_functions()
    {
        var callable = await Sql.ColumnAsync(fixture.Database.AdminConnectionString, """
            SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'app' AND has_function_privilege('portal_app', p.oid, 'EXECUTE')
            """);

        // What signs or writes the context, or changes the schema, is the owner's alone.
        Assert.DoesNotContain("context_signature", callable);
        Assert.DoesNotContain("write_context", callable);
        Assert.DoesNotContain("secure_tenant_table", callable);
        Assert.Contains("enter_user_context", callable); // positive control
    }

    [Fact]
    public async Task Portal_app_lacks_bypassrls_and_owns_nothing()
    {
        Assert.False(await Sql.ScalarAsync<bool>(fixture.Database.AdminConnectionString, "SELECT rolbypassrls FROM pg_roles WHERE rolname = 'portal_app'"));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString,
            "SELECT count(*) FROM pg_class WHERE relowner = 'portal_app'::regrole"));
        Assert.True(await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString,
            "SELECT count(*) FROM pg_class WHERE relowner = 'portal_owner'::regrole AND relname = 'workspaces'") == 1);
    }
}
