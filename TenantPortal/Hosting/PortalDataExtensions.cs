using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Hosting;

/// <summary>Database settings: where the request and migration connections go, and the embedded cluster's home.</summary>
public sealed class PortalDatabaseOptions
{
    public const string PortalName = "Portal";
    public const string MigrationsName = "PortalMigrations";

    public required string ConnectionString { get; init; }

    public required string MigrationsConnectionString { get; init; }

    public bool MigrateOnStartup { get; init; } = true;
}

public static class PortalDataExtensions
{
    /// <summary>
    /// Resolves the two connection strings (starting the embedded PostgreSQL when neither is configured),
    /// validates them and registers the DbContext factory. Dispose the result to stop an embedded server.
    /// </summary>
    public static async Task<IAsyncDisposable> AddPortalDataAsync(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var portal = configuration.GetConnectionString(PortalDatabaseOptions.PortalName);
        var migrations = configuration.GetConnectionString(PortalDatabaseOptions.MigrationsName);
        EmbeddedPostgres? embedded = null;

        if (string.IsNullOrWhiteSpace(portal) && string.IsNullOrWhiteSpace(migrations))
        {
            embedded = await StartEmbeddedAsync(builder);
            var database = configuration["Database:Name"] ?? "tenantportal";
            portal = embedded.ConnectionString(DatabaseBootstrap.AppRole, embedded.Credentials.AppPassword, database);
            migrations = embedded.ConnectionString(DatabaseBootstrap.OwnerRole, embedded.Credentials.OwnerPassword, database);
            builder.Services.AddSingleton(embedded);
            builder.Services.AddHostedService<EmbeddedPostgresLifetime>();
        }
        else if (string.IsNullOrWhiteSpace(portal) || string.IsNullOrWhiteSpace(migrations))
        {
            throw new StartupException(
                "Set both ConnectionStrings__Portal (role portal_app) and ConnectionStrings__PortalMigrations (role portal_owner), " +
                "or neither to use the embedded PostgreSQL.");
        }

        ConnectionStringRules.Validate(PortalDatabaseOptions.PortalName, portal!);
        ConnectionStringRules.Validate(PortalDatabaseOptions.MigrationsName, migrations!);

        var options = new PortalDatabaseOptions
        {
            ConnectionString = portal!,
            MigrationsConnectionString = migrations!,
            MigrateOnStartup = configuration.GetValue("Database:MigrateOnStartup", true),
        };
        builder.Services.AddSingleton(options);
        builder.Services.AddPortalDbContext(options.ConnectionString);
        builder.Services.AddHostedService<PortalMigrator>();
        return (IAsyncDisposable?)embedded ?? NothingToStop.Instance;
    }

    /// <summary>
    /// Registers the context factory for requests: one options instance with the tenant interceptor, and contexts bound
    /// to the scope's <see cref="TenantContext"/> (one per circuit). The interceptor resets each connection it is handed
    /// (ADR 0004), so Npgsql's own reset on return to the pool (<c>DISCARD ALL</c>, which also drops the session's
    /// cached plans) is turned off for this pool.
    /// </summary>
    public static IServiceCollection AddPortalDbContext(this IServiceCollection services, string connectionString)
    {
        var pooled = RequestPool(connectionString);
        services.AddSingleton<TenantConnectionInterceptor>();
        services.AddSingleton(sp =>
        {
            var db = new DbContextOptionsBuilder<PortalDbContext>();
            ConfigurePortal(db, pooled);
            db.AddInterceptors(sp.GetRequiredService<TenantConnectionInterceptor>());
            // EF Core logs (SQL text, never parameter values) go where the app's logs go.
            if (sp.GetService<ILoggerFactory>() is { } loggerFactory)
            {
                db.UseLoggerFactory(loggerFactory);
            }

            return db.Options;
        });
        services.AddScoped<TenantContext>();
        services.AddScoped<TenantSession>();
        services.AddScoped<IDbContextFactory<PortalDbContext>, PortalDbContextFactory>();
        // Identity's stores take a context from the scope.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        return services;
    }

    /// <summary>
    /// The request role's connection string as requests use it: pooled without Npgsql's reset (the app resets), and
    /// connections replaced after 15 minutes unless configured otherwise, which bounds how long a plan shape planted by
    /// SQL in one request (plans outlive the reset) can slow the connection it was planted on.
    /// </summary>
    internal static string RequestPool(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
        if (builder.ConnectionLifetime == 0)
        {
            builder.ConnectionLifetime = 900;
        }

        return builder.ConnectionString;
    }

    internal static void ConfigurePortal(DbContextOptionsBuilder db, string connectionString) =>
        db.UseNpgsql(connectionString)
            // Migrations are hand-written SQL (Data/Sql) without a model snapshot; a schema test guards model/database drift.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));

    private static async Task<EmbeddedPostgres> StartEmbeddedAsync(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var dataDirectory = Path.Combine(builder.Environment.ContentRootPath, configuration["Database:DataDirectory"] ?? ".data/pg");
        var configuredBins = configuration["Database:PostgresBinDirectories"];
        var searchPath = string.IsNullOrWhiteSpace(configuredBins)
            ? PostgresBinaries.DefaultSearchPath()
            : configuredBins.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);

        using var loggerFactory = LoggerFactory.Create(logging => logging.AddConsole());
        var embedded = new EmbeddedPostgres(new EmbeddedPostgresOptions(dataDirectory, searchPath), loggerFactory.CreateLogger<EmbeddedPostgres>());
        await embedded.StartAsync();
        try
        {
            var superuser = embedded.SuperuserConnectionString();
            await DatabaseBootstrap.EnsureRolesAsync(superuser, embedded.Credentials.OwnerPassword, embedded.Credentials.AppPassword);
            await DatabaseBootstrap.EnsureDatabaseAsync(superuser, configuration["Database:Name"] ?? "tenantportal");
        }
        catch
        {
            await embedded.StopAsync();
            throw;
        }

        return embedded;
    }

    private sealed class NothingToStop : IAsyncDisposable
    {
        public static readonly NothingToStop Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
