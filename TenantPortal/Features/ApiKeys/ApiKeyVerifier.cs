using Npgsql;
using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.ApiKeys;

/// <summary>
/// Verifies an agent's key: parse and checksum without the database, then one indexed lookup through
/// <c>app.enter_agent_context</c>, which hashes the key itself (a stored hash is no credential), refuses revoked,
/// expired and disabled keys, agents and projects that are not active, and notes the key's use at most once a minute.
/// </summary>
public sealed class ApiKeyVerifier(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The identity behind <paramref name="key"/>, or null when it is not a valid key now.</summary>
    public async Task<AgentActor?> VerifyAsync(string? key, string? clientIp = null, string? userAgent = null, CancellationToken cancellationToken = default)
    {
        if (!ApiKeyFormat.TryParse(key, out _))
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Opened through EF, so the connection is reset like every other before the key is looked up.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return (await EnterAsync((NpgsqlConnection)db.Database.GetDbConnection(), key!, clientIp, userAgent, countRequest: false, time, cancellationToken)).Agent;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Enters the context of <paramref name="key"/>'s agent on <paramref name="connection"/> and, when
    /// <paramref name="countRequest"/>, counts one request against the key's per-minute limit, in one round trip: the
    /// agent (null when the key is not valid now; then the connection has no context) and where its limit stands.
    /// With <paramref name="reset"/>, the connection (just opened, not yet reset) is reset first in the same round
    /// trip, as <see cref="TenantConnectionInterceptor"/> resets every other; a connection whose reset fails is closed
    /// and its pool cleared, as there. The key must have passed <see cref="ApiKeyFormat.TryParse"/>.
    /// </summary>
    public static async Task<(AgentActor? Agent, RequestAllowance? Allowance)> EnterAsync(NpgsqlConnection connection, string key, string? clientIp,
        string? userAgent, bool countRequest, TimeProvider time, CancellationToken cancellationToken, bool reset = false)
    {
        await using var batch = new NpgsqlBatch(connection)
        {
            // Each statement its own transaction: a refused key does not undo the reset.
            EnableErrorBarriers = reset,
            BatchCommands =
            {
                new("""
                    SELECT key_id, agent_id, project_id, workspace_id, org_id, capabilities,
                           agent_name, agent_display_name, project_slug, project_name, key_prefix, key_last_four, key_expires_at
                    FROM app.enter_agent_context($1, $2, $3, $4)
                    """)
                {
                    Parameters =
                    {
                        new() { Value = key }, new() { Value = (object?)clientIp ?? DBNull.Value },
                        new() { Value = (object?)userAgent ?? DBNull.Value }, new() { Value = time.GetUtcNow() },
                    },
                },
            },
        };
        if (countRequest)
        {
            // Runs in the context the line above entered; returns nothing when it entered none.
            batch.BatchCommands.Add(new("SELECT allowed, request_limit, remaining, reset_seconds FROM app.count_agent_request()"));
        }

        if (reset)
        {
            batch.BatchCommands.Insert(0, new NpgsqlBatchCommand("SELECT app.reset_connection()"));
        }

        NpgsqlDataReader reader;
        try
        {
            reader = await batch.ExecuteReaderAsync(cancellationToken);
        }
        catch when (reset)
        {
            // The reset failed: nothing of the session can be trusted, so this physical connection is not reused.
            NpgsqlConnection.ClearPool(connection);
            await connection.CloseAsync();
            throw;
        }

        await using var read = reader;
        if (reset)
        {
            await reader.NextResultAsync(cancellationToken);
        }

        var agent = await reader.ReadAsync(cancellationToken)
            ? new AgentActor(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetGuid(4), reader.GetFieldValue<string[]>(5),
                new AgentProfile(reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetString(10), reader.GetString(11),
                    reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12)))
            : null;
        var allowance = countRequest && agent is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken)
            ? new RequestAllowance(reader.GetBoolean(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3))
            : null;
        return (agent, allowance);
    }
}

/// <summary>Where a key's per-minute limit stands after counting a request: allowed or not, the limit, what remains, seconds to the next window.</summary>
public sealed record RequestAllowance(bool Allowed, int Limit, int Remaining, int ResetSeconds);
