using Npgsql;

namespace TenantPortal.Hosting;

/// <summary>Creates the two portal roles and a database owned by portal_owner, the way an operator would on a shared server.</summary>
public static class DatabaseBootstrap
{
    public const string OwnerRole = "portal_owner";
    public const string AppRole = "portal_app";

    public static async Task EnsureRolesAsync(string superuserConnectionString, string ownerPassword, string appPassword, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(superuserConnectionString);
        await connection.OpenAsync(cancellationToken);
        foreach (var (role, password) in new[] { (OwnerRole, ownerPassword), (AppRole, appPassword) })
        {
            if (!await ExistsAsync(connection, "SELECT 1 FROM pg_roles WHERE rolname = @name", role, cancellationToken))
            {
                await ExecuteAsync(connection, $"CREATE ROLE {role}", cancellationToken);
            }

            // Neither role may bypass row-level security; only the owner may create databases (tests clone templates).
            var createDb = role == OwnerRole ? "CREATEDB" : "NOCREATEDB";
            await ExecuteAsync(connection,
                $"ALTER ROLE {role} WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE {createDb} PASSWORD {Literal(password)}",
                cancellationToken);
        }
    }

    public static async Task EnsureDatabaseAsync(string superuserConnectionString, string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(superuserConnectionString);
        await connection.OpenAsync(cancellationToken);
        if (!await ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = @name", database, cancellationToken))
        {
            await ExecuteAsync(connection, $"CREATE DATABASE {Identifier(database)} OWNER {OwnerRole}", cancellationToken);
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string sql, string name, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", name);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    internal static string Identifier(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
