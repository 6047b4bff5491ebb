using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// The database as an agent's request sees it: a connection opened through the request's DbContext, so the
/// interceptor has entered the agent's context with its key (row-level security keeps it to the key's project and
/// capabilities). The SQL of the agent API is written by hand on it: a few statements, each one round trip. The
/// connection that admitted the request (<see cref="AdmitAsync"/>) is already in that context and serves the
/// request's first piece of work; any later one opens a connection of its own, which enters the context again.
/// </summary>
internal sealed class AgentData(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TimeProvider time) : IAsyncDisposable
{
    private PortalDbContext? admitted;

    /// <summary>The agent the request speaks for (set by authentication).</summary>
    public AgentActor Agent => tenant.Agent ?? throw new TenantContextMissingException("The agent API runs for an authenticated agent only.");

    /// <summary>
    /// Resets a pooled connection, verifies <paramref name="key"/> for this request and counts the request against the
    /// key's per-minute limit, in one round trip; the connection then stays in the agent's context for the request's
    /// first piece of work: the agent (null when the key is not valid now) and where its limit stands.
    /// </summary>
    public async Task<(AgentActor? Agent, RequestAllowance? Allowance)> AdmitAsync(string key, string? clientIp, string? userAgent,
        CancellationToken cancellationToken)
    {
        var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        try
        {
            // Opened by hand, not through EF: the reset the interceptor would send in a round trip of its own goes in the
            // admission's. EF then finds the connection open, neither enters it again nor closes it; disposing the
            // context returns it to the pool.
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await connection.OpenAsync(cancellationToken);
            var (agent, allowance) = await ApiKeyVerifier.EnterAsync(connection, key, clientIp, userAgent, countRequest: true, time, cancellationToken,
                reset: true);
            if (agent is not null && allowance is not { Allowed: false })
            {
                (admitted, db) = (db, null);
            }

            return (agent, allowance);
        }
        finally
        {
            if (db is not null)
            {
                await db.DisposeAsync();
            }
        }
    }

    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        // The admitting connection once (a long wait afterwards holds none), then connections of their own.
        var db = admitted ?? await dbFactory.CreateDbContextAsync(cancellationToken);
        admitted = null;
        await using (db)
        {
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
    }

    public async ValueTask DisposeAsync()
    {
        if (admitted is not null)
        {
            await admitted.DisposeAsync();
            admitted = null;
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
