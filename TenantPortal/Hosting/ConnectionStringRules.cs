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

        // Session settings carry the tenant context; the reset on return to the pool is what clears them.
        if (builder.NoResetOnClose)
        {
            throw new StartupException($"ConnectionStrings:{name} sets 'No Reset On Close=true'. TenantPortal keeps tenant context in session settings, which must be reset when a connection returns to the pool: remove that option.");
        }

        // With prepared statements on a connection Npgsql resets it without DEALLOCATE ALL, so a statement prepared by
        // SQL in one request (PREPARE under the name of one of Npgsql's own) would run in the next request's context.
        if (builder.MaxAutoPrepare > 0)
        {
            throw new StartupException($"ConnectionStrings:{name} sets 'Max Auto Prepare'. Prepared statements outlive the pool's reset (DISCARD ALL is then not used), so a statement planted in one request could run in the next one's tenant context: remove that option.");
        }

        // Multiplexing shares one physical connection between commands, so session settings would be shared too.
        if (builder.Multiplexing)
        {
            throw new StartupException($"ConnectionStrings:{name} sets 'Multiplexing=true'. TenantPortal keeps tenant context in session settings, which multiplexing would share between requests: remove that option.");
        }
    }
}
