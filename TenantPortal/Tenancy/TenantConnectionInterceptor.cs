using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using TenantPortal.Data;

namespace TenantPortal.Tenancy;

/// <summary>
/// Resets every connection the DbContext opens and enters the database context of its <see cref="TenantContext"/>, in
/// one round trip, and keeps the context's role as the database reports it.
/// </summary>
/// <remarks>
/// The reset is the app's own (<c>app.reset_connection</c>), not Npgsql's <c>DISCARD ALL</c> on return to the pool
/// (the request role's connections are pooled with <c>No Reset On Close</c>; see
/// <see cref="Hosting.PortalDataExtensions.AddPortalDbContext"/>). It undoes everything <c>DISCARD ALL</c> does —
/// settings (the context among them), role, temporary objects, prepared statements, cursors, listeners, advisory
/// locks, sequence state — except the session's cached plans, which hold no state a request could plant: so the
/// context routines are not planned again on every connection. A connection whose reset or entry fails is not used
/// (the open fails).
/// </remarks>
internal sealed class TenantConnectionInterceptor : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
        EnterAsync(connection, eventData, CancellationToken.None).GetAwaiter().GetResult();

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EnterAsync(connection, eventData, cancellationToken);

    private static Task EnterAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken) =>
        ResetAndEnterAsync((NpgsqlConnection)connection, (eventData.Context as PortalDbContext)?.Tenant, cancellationToken);

    /// <summary>Resets <paramref name="connection"/> and enters <paramref name="tenant"/>'s context (none without a user).</summary>
    /// <remarks>
    /// The reset and the entry go in one round trip but in transactions of their own (error barriers): a refused entry
    /// (a removed member) does not roll the reset back, so the connection returns to the pool clean. If the reset
    /// itself fails (SQL in an earlier request can arrange that, e.g. with a statement timeout and a pile of temporary
    /// tables), nothing of the session can be trusted: the pool is cleared, so this physical connection is closed
    /// rather than reused, and the connection is closed here, so no caller runs a query on it.
    /// </remarks>
    internal static async Task ResetAndEnterAsync(NpgsqlConnection connection, TenantContext? tenant, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { EnableErrorBarriers = true, BatchCommands = { new("SELECT app.reset_connection()") } };
        var entry = AddEntry(batch, tenant);
        var reset = false;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            reset = true; // the reset's result: it committed on its own
            if (entry is not null)
            {
                await reader.NextResultAsync(cancellationToken);
                await entry(reader, cancellationToken);
            }
        }
        catch
        {
            if (!reset)
            {
                NpgsqlConnection.ClearPool(connection);
            }

            await connection.CloseAsync();
            throw;
        }
    }

    /// <summary>Adds the context entry to the batch; returns how to read what the database reports, or null for nobody.</summary>
    private static Func<NpgsqlDataReader, CancellationToken, Task>? AddEntry(NpgsqlBatch batch, TenantContext? tenant)
    {
        if (tenant is { AgentKey: string key })
        {
            // An agent's request: the key is checked again on every connection, so one that stops verifying (revoked,
            // disabled, expired, its agent or project no longer active) fails the request's next query.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT key_id FROM app.enter_agent_context($1, $2, $3)")
            {
                Parameters = { new() { Value = key }, new() { Value = (object?)tenant.ClientIp ?? DBNull.Value }, new() { Value = (object?)tenant.UserAgent ?? DBNull.Value } },
            });
            return async (reader, cancellationToken) =>
            {
                if (!await reader.ReadAsync(cancellationToken) || reader.GetGuid(0) != tenant.Agent?.KeyId)
                {
                    throw new AgentKeyRefusedException();
                }
            };
        }

        if (tenant is not { UserId: Guid userId })
        {
            // No one signed in (sign-in pages, Identity's lookups, key verification): a clean connection, no context.
            return null;
        }

        object ip = (object?)tenant.ClientIp ?? DBNull.Value, agent = (object?)tenant.UserAgent ?? DBNull.Value;
        if (tenant.OrgId is not Guid orgId)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT app.enter_user_session($1, $2, $3)")
            {
                Parameters = { new() { Value = userId }, new() { Value = ip }, new() { Value = agent } },
            });
            return (reader, cancellationToken) => reader.ReadAsync(cancellationToken);
        }

        // The database checks the membership now; what it reports (role and workspace roles) replaces what the circuit cached.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT app.enter_user_context($1, $2, $3, $4)")
        {
            Parameters = { new() { Value = userId }, new() { Value = orgId }, new() { Value = ip }, new() { Value = agent } },
        });
        // Read back as written a moment ago: the signed getters would check the signature twice more, and these only
        // tell the circuit what to offer (the database checks the signature wherever it decides anything).
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "SELECT coalesce(nullif(current_setting('app.current_admin_workspace_ids'), ''), '{}')::uuid[], " +
            "coalesce(nullif(current_setting('app.current_member_workspace_ids'), ''), '{}')::uuid[]"));
        return async (reader, cancellationToken) =>
        {
            await reader.ReadAsync(cancellationToken);
            var role = reader.GetString(0);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            tenant.Confirm(orgId, role, reader.GetFieldValue<Guid[]>(0), reader.GetFieldValue<Guid[]>(1));
        };
    }
}
