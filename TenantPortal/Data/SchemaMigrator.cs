using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace TenantPortal.Data;

/// <summary>One SQL file of the schema: its phase, its name (the file name) and its text.</summary>
internal sealed record SchemaScript(string Phase, string Name, string Sql)
{
    /// <summary>Functions, procedures and trigger functions (Data/Sql/Routines), re-applied whenever their text changes.</summary>
    public const string Routines = "routines";

    /// <summary>Tables, columns, indexes and data (Data/Sql/Migrations), applied once each, in name order.</summary>
    public const string Migration = "migration";

    /// <summary>Row-level security and audit triggers per table (Data/Sql/Security), re-applied after any other change.</summary>
    public const string Security = "security";

    public string Checksum => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Sql))).ToLowerInvariant();

    /// <summary>The schema's files as embedded in the assembly, in the order they run.</summary>
    public static IReadOnlyList<SchemaScript> Embedded()
    {
        var assembly = typeof(SchemaScript).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var (phase, folder) in new[] { (Routines, "Routines"), (Migration, "Migrations"), (Security, "Security") })
        {
            var prefix = $"Sql/{folder}/";
            foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
                scripts.Add(new SchemaScript(phase, resource[prefix.Length..], reader.ReadToEnd()));
            }
        }

        return scripts;
    }
}

/// <summary>
/// Brings a database to the schema of this build, in one transaction under an advisory lock: changed routine files,
/// then pending migrations, then the security declarations when anything changed. Routines come first so tables can
/// use them (CHECK constraints, triggers); function bodies are checked when first called, not when created.
/// </summary>
internal static class SchemaMigrator
{
    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, IReadOnlyList<SchemaScript>? scripts = null, CancellationToken cancellationToken = default)
    {
        scripts ??= SchemaScript.Embedded();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, """
            SELECT pg_advisory_xact_lock(hashtext('tenantportal.schema'));
            SET LOCAL check_function_bodies = off;
            CREATE TABLE IF NOT EXISTS public.schema_history (
                phase text NOT NULL,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (phase, name));
            """, cancellationToken);
        await AdoptEntityFrameworkHistoryAsync(connection, cancellationToken);

        var recorded = new Dictionary<(string, string), string>();
        await using (var command = new NpgsqlCommand("SELECT phase, name, checksum FROM public.schema_history", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            }
        }

        bool Changed(SchemaScript script) => !recorded.TryGetValue((script.Phase, script.Name), out var checksum) || checksum != script.Checksum;

        var applied = new List<string>();
        foreach (var script in scripts.Where(s => s.Phase == SchemaScript.Routines && Changed(s)))
        {
            await ApplyAsync(connection, script, applied, cancellationToken);
        }

        foreach (var script in scripts.Where(s => s.Phase == SchemaScript.Migration))
        {
            if (!recorded.TryGetValue((script.Phase, script.Name), out var checksum))
            {
                await ApplyAsync(connection, script, applied, cancellationToken);
            }
            else if (checksum.Length > 0 && checksum != script.Checksum)
            {
                throw new InvalidOperationException(
                    $"Migration {script.Name} changed after it was applied to this database. Leave applied migrations as they are and add a new one.");
            }
        }

        var security = scripts.Where(s => s.Phase == SchemaScript.Security).ToList();
        if (applied.Count > 0 || security.Any(Changed))
        {
            foreach (var script in security)
            {
                await ApplyAsync(connection, script, applied, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return applied;
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, SchemaScript script, List<string> applied, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(connection, script.Sql, cancellationToken);
        }
        catch (PostgresException ex)
        {
            throw new InvalidOperationException($"{script.Phase} {script.Name} failed: {ex.MessageText}{(ex.Where is null ? "" : $" ({ex.Where})")}", ex);
        }

        await using var record = new NpgsqlCommand("""
            INSERT INTO public.schema_history (phase, name, checksum) VALUES (@phase, @name, @checksum)
            ON CONFLICT (phase, name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()
            """, connection);
        record.Parameters.AddWithValue("phase", script.Phase);
        record.Parameters.AddWithValue("name", script.Name);
        record.Parameters.AddWithValue("checksum", script.Checksum);
        await record.ExecuteNonQueryAsync(cancellationToken);
        applied.Add($"{script.Phase}/{script.Name}");
    }

    /// <summary>Databases migrated before this migrator kept their history in EF Core's table; their steps count as applied.</summary>
    private static Task AdoptEntityFrameworkHistoryAsync(NpgsqlConnection connection, CancellationToken cancellationToken) => ExecuteAsync(connection, """
        DO $$
        BEGIN
            IF to_regclass('public."__EFMigrationsHistory"') IS NOT NULL THEN
                INSERT INTO public.schema_history (phase, name, checksum)
                SELECT 'migration', h."MigrationId" || '.sql', '' FROM public."__EFMigrationsHistory" h
                ON CONFLICT DO NOTHING;
                DROP TABLE public."__EFMigrationsHistory";
            END IF;
        END;
        $$;
        """, cancellationToken);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
