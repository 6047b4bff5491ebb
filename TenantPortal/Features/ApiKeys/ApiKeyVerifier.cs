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
    /// <summary>
    /// Verifies <paramref name="key"/> for one agent API request and counts the request against the key's per-minute
    /// limit, in one round trip: the agent (null when the key is not valid now) and where its limit stands.
    /// </summary>
    public Task<(AgentActor? Agent, RequestAllowance? Allowance)> AdmitAsync(string key, string? clientIp, string? userAgent,
        CancellationToken cancellationToken = default) => EnterAsync(key, clientIp, userAgent, countRequest: true, cancellationToken);

    /// <summary>The identity behind <paramref name="key"/>, or null when it is not a valid key now.</summary>
    public async Task<AgentActor?> VerifyAsync(string? key, string? clientIp = null, string? userAgent = null, CancellationToken cancellationToken = default) =>
        (await EnterAsync(key, clientIp, userAgent, countRequest: false, cancellationToken)).Agent;

    private async Task<(AgentActor? Agent, RequestAllowance? Allowance)> EnterAsync(string? key, string? clientIp, string? userAgent, bool countRequest,
        CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(key, out _))
        {
            return (null, null);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Opened through EF, so the connection is reset like every other before the key is looked up.
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        try
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    new("SELECT key_id, agent_id, project_id, workspace_id, org_id, capabilities FROM app.enter_agent_context($1, $2, $3, $4)")
                    {
                        Parameters =
                        {
                            new() { Value = key! }, new() { Value = (object?)clientIp ?? DBNull.Value },
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

            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var agent = await reader.ReadAsync(cancellationToken)
                ? new AgentActor(reader.GetGuid(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetGuid(3), reader.GetGuid(4), reader.GetFieldValue<string[]>(5))
                : null;
            var allowance = countRequest && agent is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken)
                ? new RequestAllowance(reader.GetBoolean(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3))
                : null;
            return (agent, allowance);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

/// <summary>Where a key's per-minute limit stands after counting a request: allowed or not, the limit, what remains, seconds to the next window.</summary>
public sealed record RequestAllowance(bool Allowed, int Limit, int Remaining, int ResetSeconds);
