using Npgsql;

namespace TenantPortal.Hosting;

/// <summary>Refuses connection settings under which tenant context could leak from one request to the next.</summary>
public static class ConnectionStringRules
{
    public static void Validate(string name, string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new StartupException($"ConnectionStrings:{name} is not a valid PostgreSQL connection string: {ex.Message}");
        }

        // The reset of each connection (TenantConnectionInterceptor) deallocates every prepared statement, so none
        // planted by SQL in one request runs in the next; Npgsql's automatic preparation would not know and fail.
        if (builder.MaxAutoPrepare > 0)
        {
            throw new StartupException($"ConnectionStrings:{name} sets 'Max Auto Prepare'. Every connection is reset before use, prepared statements included, so statements cannot stay prepared across requests: remove that option.");
        }

        // Multiplexing shares one physical connection between commands, so session settings would be shared too.
        if (builder.Multiplexing)
        {
            throw new StartupException($"ConnectionStrings:{name} sets 'Multiplexing=true'. TenantPortal keeps tenant context in session settings, which multiplexing would share between requests: remove that option.");
        }
    }
}
