using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// The database as an agent's request sees it: a connection opened through the request's DbContext, so the
/// interceptor has entered the agent's context with its key (row-level security keeps it to the key's project and
/// capabilities). The SQL of the agent API is written by hand on it: a few statements, each one round trip.
/// </summary>
internal sealed class AgentData(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant)
{
    /// <summary>The agent the request speaks for (set by authentication).</summary>
    public AgentActor Agent => tenant.Agent ?? throw new TenantContextMissingException("The agent API runs for an authenticated agent only.");

    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await work((NpgsqlConnection)db.Database.GetDbConnection(), cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>A command with positional parameters ($1, $2, …); nulls are sent as SQL NULL.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(value is NpgsqlParameter parameter ? parameter : new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    /// <summary>Runs <paramref name="command"/> and reads every row with <paramref name="read"/>; disposes the command.</summary>
    public static async Task<List<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }

            return rows;
        }
    }

    /// <summary>The first row of <paramref name="command"/>, read with <paramref name="read"/>, or null when there is none.</summary>
    public static async Task<T?> ReadOneAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        await using (command)
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? read(reader) : null;
        }
    }

    /// <summary>A typed parameter for a value that may be null (so PostgreSQL knows its type).</summary>
    public static NpgsqlParameter Typed(object? value, NpgsqlTypes.NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
