using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using TenantPortal.Hosting;

namespace TenantPortal.Features.Health;

/// <summary>Healthy when the database answers a query as portal_app within a few seconds.</summary>
internal sealed class DatabaseHealthCheck(PortalDatabaseOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Timeout = 5, CommandTimeout = 5 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // The reason goes to the log only; the response body says just "Unhealthy".
            return HealthCheckResult.Unhealthy("The database did not answer.", ex);
        }
    }
}
