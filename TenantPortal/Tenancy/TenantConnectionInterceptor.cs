using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using TenantPortal.Data;

namespace TenantPortal.Tenancy;

/// <summary>
/// Enters the database context of the DbContext's <see cref="TenantContext"/> each time a connection opens. The settings
/// are session-level; Npgsql's reset when the connection returns to the pool clears them.
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

        await using var command = ((NpgsqlConnection)connection).CreateCommand();
        command.CommandText = tenant.OrgId is null
            ? "SELECT app.enter_user_session(@user, @ip, @agent)"
            : "SELECT app.enter_user_context(@user, @org, @ip, @agent)";
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("ip", (object?)tenant.ClientIp ?? DBNull.Value);
        command.Parameters.AddWithValue("agent", (object?)tenant.UserAgent ?? DBNull.Value);
        if (tenant.OrgId is Guid orgId)
        {
            command.Parameters.AddWithValue("org", orgId);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
