using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using TenantPortal.Data;

namespace TenantPortal.Tenancy;

/// <summary>
/// Enters the database context of the DbContext's <see cref="TenantContext"/> each time a connection opens, and keeps the
/// context's role as the database reports it. The settings are session-level; Npgsql's reset when the connection returns
/// to the pool clears them.
/// </summary>
internal sealed class TenantConnectionInterceptor : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
        EnterAsync(connection, eventData, CancellationToken.None).GetAwaiter().GetResult();

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default) =>
        EnterAsync(connection, eventData, cancellationToken);

    private static async Task EnterAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken)
    {
        if (eventData.Context is not PortalDbContext { Tenant: { UserId: Guid userId } tenant })
        {
            return;
        }

        var npgsql = (NpgsqlConnection)connection;
        object ip = (object?)tenant.ClientIp ?? DBNull.Value, agent = (object?)tenant.UserAgent ?? DBNull.Value;
        if (tenant.OrgId is not Guid orgId)
        {
            await using var session = new NpgsqlCommand("SELECT app.enter_user_session($1, $2, $3)", npgsql)
            {
                Parameters = { new() { Value = userId }, new() { Value = ip }, new() { Value = agent } },
            };
            await session.ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        // The database checks the membership now; what it reports (role and workspace roles) replaces what the circuit cached.
        await using var batch = new NpgsqlBatch(npgsql)
        {
            BatchCommands =
            {
                new("SELECT app.enter_user_context($1, $2, $3, $4)")
                {
                    Parameters = { new() { Value = userId }, new() { Value = orgId }, new() { Value = ip }, new() { Value = agent } },
                },
                new("SELECT app.current_admin_workspace_ids(), app.current_member_workspace_ids()"),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var role = reader.GetString(0);
        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        tenant.Confirm(orgId, role, reader.GetFieldValue<Guid[]>(0), reader.GetFieldValue<Guid[]>(1));
    }
}
