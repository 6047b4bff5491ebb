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
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        try
        {
            await using var command = new NpgsqlCommand(
                "SELECT key_id, agent_id, project_id, workspace_id, org_id, capabilities FROM app.enter_agent_context(@key, @ip, @agent, @at)", connection);
            command.Parameters.AddWithValue("key", key!);
            command.Parameters.AddWithValue("ip", (object?)clientIp ?? DBNull.Value);
            command.Parameters.AddWithValue("agent", (object?)userAgent ?? DBNull.Value);
            command.Parameters.AddWithValue("at", time.GetUtcNow());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            return new AgentActor(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetGuid(4),
                reader.GetFieldValue<string[]>(5));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
