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
    internal static async Task ResetAndEnterAsync(NpgsqlConnection connection, TenantContext? tenant, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new("SELECT app.reset_connection()") } };
        if (tenant is not { UserId: Guid userId })
        {
            // No one signed in (sign-in pages, Identity's lookups): a clean connection, no context.
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        object ip = (object?)tenant.ClientIp ?? DBNull.Value, agent = (object?)tenant.UserAgent ?? DBNull.Value;
        if (tenant.OrgId is not Guid orgId)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT app.enter_user_session($1, $2, $3)")
            {
                Parameters = { new() { Value = userId }, new() { Value = ip }, new() { Value = agent } },
            });
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return;
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
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken); // past the reset's result
        await reader.ReadAsync(cancellationToken);
        var role = reader.GetString(0);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        tenant.Confirm(orgId, role, reader.GetFieldValue<Guid[]>(0), reader.GetFieldValue<Guid[]>(1));
    }
}
