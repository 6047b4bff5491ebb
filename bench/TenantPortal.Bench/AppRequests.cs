using Npgsql;
using TenantPortal.Hosting;
using TenantPortal.Tenancy;

namespace TenantPortal.Bench;

/// <summary>
/// Connections as a request of the app gets them from the database: the request role's pool as the app configures it
/// (reset by the app, not by Npgsql) and the app's reset and context entry (<see cref="TenantConnectionInterceptor"/>,
/// one round trip) for a circuit's tenant context, signed in and entered. EF Core's own work per context is left out,
/// as it is of every other measurement here.
/// </summary>
internal sealed class AppRequests
{
    private readonly string pooled;
    private readonly TenantContext tenant = new();

    private AppRequests(string appConnection, Guid user, Guid org)
    {
        pooled = PortalDataExtensions.RequestPool(appConnection);
        tenant.SignIn(user);
        tenant.Enter(org, "measured", "Measured", "owner", null, null);
    }

    public static AppRequests Start(string appConnection, Guid user, Guid org) => new(appConnection, user, org);

    /// <summary>A pooled connection, reset and entered.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(pooled);
        await connection.OpenAsync();
        await TenantConnectionInterceptor.ResetAndEnterAsync(connection, tenant, CancellationToken.None);
        return connection;
    }
}
