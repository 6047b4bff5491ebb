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

        // Multiplexing shares one physical connection between commands, so session settings would be shared too.
        if (builder.Multiplexing)
        {
            throw new StartupException($"ConnectionStrings:{name} sets 'Multiplexing=true'. TenantPortal keeps tenant context in session settings, which multiplexing would share between requests: remove that option.");
        }
    }

    /// <summary>
    /// The connection string requests use: statements the app repeats are prepared on each pooled connection (unless
    /// the configuration says otherwise). Prepared statements spare every request the planning of its row-level
    /// security; and with prepared statements on a connection Npgsql resets it on return to the pool with RESET ALL
    /// (and the rest of DISCARD ALL but DEALLOCATE and DISCARD PLANS), which clears the tenant context as before while
    /// the plans of the context-entry routine survive.
    /// </summary>
    public static string ForRequests(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0 && !connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            // Planned for their parameters every time (a plan for any organization can be a poor one for a big one):
            // preparing saves parsing and rewriting (the policies included), not the planning that needs the values.
            builder.Options = string.Join(' ', new[] { builder.Options, "-c plan_cache_mode=force_custom_plan" }.Where(o => !string.IsNullOrWhiteSpace(o)));
        }

        return builder.ConnectionString;
    }
}
