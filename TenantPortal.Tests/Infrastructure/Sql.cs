using Npgsql;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>Raw SQL helpers: tests talk to PostgreSQL directly so no application filter can help them pass.</summary>
public static class Sql
{
    public static async Task<T?> ScalarAsync<T>(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await ScalarAsync<T>(connection, sql, parameters);
    }

    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    public static async Task<int> ExecuteAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await ExecuteAsync(connection, sql, parameters);
    }

    public static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    /// <summary>
    /// The columns of <paramref name="table"/> portal_app may insert, as a list for INSERT (col, col, ...): tests that
    /// copy a row insert only these, so a refusal they see is row-level security's, not a missing column grant.
    /// A table portal_app may not insert into at all (the audit log) gives every column.
    /// </summary>
    public static async Task<string> InsertableColumnsAsync(NpgsqlConnection connection, string table) =>
        await ScalarAsync<string>(connection, """
            SELECT coalesce(
                string_agg(quote_ident(attname), ', ' ORDER BY attnum) FILTER (WHERE has_column_privilege('portal_app', attrelid, attnum, 'INSERT')),
                string_agg(quote_ident(attname), ', ' ORDER BY attnum))
            FROM pg_attribute WHERE attrelid = @t::regclass AND attnum > 0 AND NOT attisdropped
            """, ("t", table)) ?? throw new InvalidOperationException($"{table} has no columns.");

    public static async Task<List<string>> ColumnAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.IsDBNull(0) ? "" : reader.GetValue(0).ToString()!);
        }

        return values;
    }
}
