using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;

namespace TenantPortal.Hosting;

/// <summary>Applies pending migrations as portal_owner before the server accepts requests.</summary>
internal sealed partial class PortalMigrator(PortalDatabaseOptions options, ILogger<PortalMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.MigrateOnStartup)
        {
            return;
        }

        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDataExtensions.ConfigurePortal(builder, options.MigrationsConnectionString);
        await using var db = new PortalDbContext(builder.Options);
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            await db.Database.MigrateAsync(cancellationToken);
            if (pending.Count > 0)
            {
                LogApplied(logger, pending.Count, pending[^1]);
            }
        }
        catch (NpgsqlException ex)
        {
            throw new StartupException($"Could not migrate the database with ConnectionStrings:PortalMigrations: {ex.Message}", ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} migration(s); the database is at {Latest}.")]
    private static partial void LogApplied(ILogger logger, int count, string latest);
}
