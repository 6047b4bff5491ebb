using Npgsql;
using TenantPortal.Data;

namespace TenantPortal.Hosting;

/// <summary>Brings the database to this build's schema as portal_owner before the server accepts requests.</summary>
internal sealed partial class PortalMigrator(PortalDatabaseOptions options, ILogger<PortalMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.MigrateOnStartup)
        {
            return;
        }

        try
        {
            var applied = await SchemaMigrator.MigrateAsync(options.MigrationsConnectionString, cancellationToken: cancellationToken);
            if (applied.Count > 0)
            {
                LogApplied(logger, applied);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            throw new StartupException($"Could not migrate the database with ConnectionStrings:PortalMigrations: {ex.Message}", ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema files: {Files}.")]
    private static partial void LogApplied(ILogger logger, IReadOnlyList<string> files);
}
