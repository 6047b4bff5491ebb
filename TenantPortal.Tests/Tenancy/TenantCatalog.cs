namespace TenantPortal.Tests.Tenancy;

/// <summary>
/// The tenant tables, read from the database catalog: every table with an org_id column, and organizations itself.
/// Tables in schema <c>app</c> are the database's own bookkeeping, which only its routines touch (requests hold no
/// privilege on them: see <see cref="CatalogTests"/>), so they are not listed.
/// </summary>
internal static class TenantCatalog
{
    public static Task<List<string>> TenantTablesAsync(string connectionString) => Infrastructure.Sql.ColumnAsync(connectionString, """
        SELECT c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'app')
          AND (c.relname = 'organizations'
               OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped))
        ORDER BY c.relname
        """);

    /// <summary>Tenant tables lacking forced row-level security or a policy for portal_app, each with the reason.</summary>
    public static Task<List<string>> UnprotectedAsync(string connectionString) => Infrastructure.Sql.ColumnAsync(connectionString, """
        SELECT c.relname || ': ' || concat_ws(', ',
                   CASE WHEN NOT c.relrowsecurity THEN 'row level security not enabled' END,
                   CASE WHEN NOT c.relforcerowsecurity THEN 'row level security not forced' END,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive
                                         AND 'portal_app'::regrole = ANY (p.polroles)) THEN 'no policy for portal_app' END)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'app')
          AND (c.relname = 'organizations'
               OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped))
          AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity
               OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polpermissive
                              AND 'portal_app'::regrole = ANY (p.polroles)))
        ORDER BY c.relname
        """);

    /// <summary>Tenant tables (the audit log itself aside) whose row changes are not recorded by the audit trigger.</summary>
    public static Task<List<string>> UnauditedAsync(string connectionString) => Infrastructure.Sql.ColumnAsync(connectionString, """
        SELECT c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'app')
          AND c.relname NOT IN ('audit_events')
          AND (c.relname = 'organizations'
               OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped))
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                          WHERE t.tgrelid = c.oid AND p.proname = 'audit_row_change'
                            AND (t.tgtype & 28) = 28 AND (t.tgtype & 1) = 1)
        ORDER BY c.relname
        """);

    /// <summary>
    /// Tables of a project's things (a project_id column, and projects itself) lacking what app.secure_project_table
    /// gives them: forced row-level security, the agent's project restriction and the audit trigger.
    /// </summary>
    public static Task<List<string>> UnsecuredProjectTablesAsync(string connectionString) => Infrastructure.Sql.ColumnAsync(connectionString, """
        SELECT c.relname || ': ' || concat_ws(', ',
                   CASE WHEN NOT (c.relrowsecurity AND c.relforcerowsecurity) THEN 'row level security not forced' END,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'agent_project'
                                         AND NOT p.polpermissive) THEN 'no project restriction for agents' END,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                                         WHERE t.tgrelid = c.oid AND f.proname = 'audit_row_change') THEN 'not audited' END)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'app') AND c.relname <> 'audit_events'
          AND (c.relname = 'projects'
               OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'project_id' AND NOT a.attisdropped))
          AND (NOT (c.relrowsecurity AND c.relforcerowsecurity)
               OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'agent_project' AND NOT p.polpermissive)
               OR NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                              WHERE t.tgrelid = c.oid AND f.proname = 'audit_row_change'))
        ORDER BY c.relname
        """);

    /// <summary>Tables with an updated_at column that the database does not stamp (app.touch_updated_at).</summary>
    public static Task<List<string>> UnstampedAsync(string connectionString) => Infrastructure.Sql.ColumnAsync(connectionString, """
        SELECT c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'app')
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'updated_at' AND NOT a.attisdropped)
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                          WHERE t.tgrelid = c.oid AND f.proname = 'touch_updated_at' AND (t.tgtype & 16) = 16)
        ORDER BY c.relname
        """);

    public static string TenantColumn(string table) => table == "organizations" ? "id" : "org_id";
}
