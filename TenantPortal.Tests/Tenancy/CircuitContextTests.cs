using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TenantPortal.Data;
using TenantPortal.Hosting;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

/// <summary>The application's path: a scope per circuit, its TenantContext, the context factory and the connection interceptor.</summary>
public sealed class CircuitContextTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly ServiceProvider services = new ServiceCollection()
        .AddPortalDbContext(new Npgsql.NpgsqlConnectionStringBuilder(fixture.Database.AppConnectionString) { MaxPoolSize = 3 }.ConnectionString)
        .BuildServiceProvider();

    [Fact]
    public async Task Two_circuits_interleaving_a_thousand_queries_never_see_each_others_rows()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var circuitA = OpenCircuit(world.OwnerA, world.OrgA);
        var circuitB = OpenCircuit(world.OwnerB, world.OrgB);

        async Task<List<Guid>> RunAsync(AsyncServiceScope circuit, int queries)
        {
            var seen = new List<Guid>();
            var factory = circuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            for (var i = 0; i < queries; i++)
            {
                await using var db = await factory.CreateDbContextAsync(TestContext.Current.CancellationToken);
                // Bypass the EF filters: only row-level security stands between the circuits.
                seen.AddRange(await db.Workspaces.IgnoreQueryFilters().Select(w => w.OrgId).ToListAsync(TestContext.Current.CancellationToken));
            }

            return seen;
        }

        var results = await Task.WhenAll(RunAsync(circuitA, 500), RunAsync(circuitB, 500));

        Assert.NotEmpty(results[0]);
        Assert.NotEmpty(results[1]);
        Assert.All(results[0], org => Assert.Equal(world.OrgA, org));
        Assert.All(results[1], org => Assert.Equal(world.OrgB, org));
        await circuitA.DisposeAsync();
        await circuitB.DisposeAsync();
    }

    [Fact]
    public async Task The_ef_filter_alone_also_keeps_to_the_active_organization()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var tenant = new TenantPortal.Tenancy.TenantContext();
        tenant.SignIn(world.OwnerA);
        tenant.Enter(world.OrgA, "slug", "Name", "owner", null, null);
        // As portal_owner, whose policy admits every row, and without the interceptor: no row-level security helps here.
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDataExtensions.ConfigurePortal(options, fixture.Database.OwnerConnectionString);
        await using var db = new PortalDbContext(options.Options, tenant);

        var unfiltered = await db.Workspaces.IgnoreQueryFilters().Select(w => w.OrgId).Distinct().ToListAsync(TestContext.Current.CancellationToken);
        var filtered = await db.Workspaces.Select(w => w.OrgId).Distinct().ToListAsync(TestContext.Current.CancellationToken);

        Assert.Contains(world.OrgB, unfiltered); // positive control: without the filter the other organization is there
        Assert.Equal([world.OrgA], filtered);
    }

    [Fact]
    public async Task The_role_the_database_reports_replaces_the_one_the_circuit_cached()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var circuit = OpenCircuit(world.MemberA, world.OrgA, role: "member");
        var factory = circuit.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var tenant = circuit.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>();
        await Sql.ExecuteAsync(fixture.Database.AdminConnectionString, "UPDATE org_members SET role = 'admin' WHERE user_id = @u", ("u", world.MemberA));

        await using (var db = await factory.CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            await db.Workspaces.CountAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal("admin", tenant.OrgRole);
        Assert.True(tenant.CanManage);
    }

    [Fact]
    public async Task What_sql_leaves_on_a_pooled_connection_is_gone_before_the_next_request_uses_it()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var ct = TestContext.Current.CancellationToken;
        await using var onePool = new ServiceCollection()
            .AddPortalDbContext(new Npgsql.NpgsqlConnectionStringBuilder(fixture.Database.AppConnectionString) { MaxPoolSize = 1, ApplicationName = "planted" }.ConnectionString)
            .BuildServiceProvider();

        // Everything DISCARD ALL would undo, and a forged context setting; names it a later request could stumble on.
        const string plant = """
            CREATE TEMP TABLE workspaces AS SELECT * FROM public.workspaces WITH NO DATA;
            SET search_path = pg_temp, public;
            SET statement_timeout = '123s';
            PREPARE planted AS SELECT 1;
            DECLARE planted CURSOR WITH HOLD FOR SELECT 1;
            LISTEN planted;
            SELECT pg_advisory_lock(4242);
            """;
        const string state = """
            SELECT concat_ws(' | ', current_setting('search_path'), current_setting('statement_timeout'),
                coalesce(nullif(current_setting('app.current_org_id', true), ''), 'no org'), to_regclass('pg_temp.workspaces') IS NOT NULL,
                (SELECT count(*) FROM pg_prepared_statements), (SELECT count(*) FROM pg_cursors WHERE name = 'planted'),
                (SELECT count(*) FROM pg_listening_channels()),
                (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()))
            """;

        string clean;
        await using (var fresh = new Npgsql.NpgsqlConnection(fixture.Database.AppConnectionString))
        {
            await fresh.OpenAsync(ct);
            clean = (await Sql.ScalarAsync<string>(fresh, state))!;
        }

        int pid;
        await using (var circuitA = OpenCircuit(world.OwnerA, world.OrgA, provider: onePool))
        await using (var db = await circuitA.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct))
        {
            await db.Database.OpenConnectionAsync(ct);
            var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
            pid = connection.ProcessID;
            await Sql.ExecuteAsync(connection, plant);
            await Sql.ExecuteAsync(connection, "SELECT set_config('app.current_org_id', @b, false)", ("b", world.OrgB.ToString()));
            // Positive control: all of it is there while the request holds the connection.
            Assert.Equal($"pg_temp, public | 123s | {world.OrgB} | t | 1 | 1 | 1 | 1", await Sql.ScalarAsync<string>(connection, state));
            // And a transaction left open, holding a lock of its own.
            await Sql.ExecuteAsync(connection, "BEGIN");
            await Sql.ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(77)");
            Assert.EndsWith("| 2", await Sql.ScalarAsync<string>(connection, state), StringComparison.Ordinal);
        }

        // Someone not signed in (the sign-in page), then a person of organization B, on the same physical connection.
        await using (var anonymous = onePool.CreateAsyncScope())
        await using (var db = await anonymous.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct))
        {
            await db.Database.OpenConnectionAsync(ct);
            var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
            Assert.Equal(pid, connection.ProcessID);
            Assert.Equal(clean, await Sql.ScalarAsync<string>(connection, state));
            Assert.Equal("off", await Sql.ScalarAsync<string>(connection, "SHOW jit")); // plans outlive the reset; compiling them does not
        }

        await using (var circuitB = OpenCircuit(world.OwnerB, world.OrgB, provider: onePool))
        await using (var db = await circuitB.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(ct))
        {
            await db.Database.OpenConnectionAsync(ct);
            var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
            Assert.Equal(pid, connection.ProcessID);
            Assert.Equal(clean.Replace("no org", world.OrgB.ToString(), StringComparison.Ordinal), await Sql.ScalarAsync<string>(connection, state));
            Assert.Equal([world.OrgB], await db.Workspaces.IgnoreQueryFilters().Select(w => w.OrgId).Distinct().ToListAsync(ct));
        }
    }

    [Fact]
    public async Task A_refused_entry_leaves_nothing_behind_for_the_next_request()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var onePool = OnePool("refused-entry");
        var pid = await LeaveTableBehindAsync(onePool, world);

        // Owner B is no member of organization A: the entry is refused, in the same round trip as the reset.
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => OpenAsync(onePool, world.OwnerB, world.OrgA));
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);

        await using var next = await OpenAsync(onePool, null, null);
        Assert.Equal(pid, next.Connection.ProcessID);
        Assert.Equal("none | none", await Sql.ScalarAsync<string>(next.Connection,
            "SELECT coalesce(to_regclass('pg_temp.leftover')::text, 'none') || ' | ' || coalesce(nullif(current_setting('app.current_org_id', true), ''), 'none')"));
    }

    [Fact]
    public async Task A_connection_whose_reset_fails_is_closed_and_never_used_again()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var onePool = OnePool("failed-reset");
        var pid = await LeaveTableBehindAsync(onePool, world);

        var scope = onePool.CreateAsyncScope();
        await using (scope)
        await using (var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            await Sql.ExecuteAsync(fixture.Database.AdminConnectionString, "REVOKE EXECUTE ON FUNCTION app.reset_connection() FROM portal_app");
            try
            {
                await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.Database.OpenConnectionAsync(TestContext.Current.CancellationToken));
                Assert.Equal(System.Data.ConnectionState.Closed, db.Database.GetDbConnection().State);
            }
            finally
            {
                await Sql.ExecuteAsync(fixture.Database.AdminConnectionString, "GRANT EXECUTE ON FUNCTION app.reset_connection() TO portal_app");
            }
        }

        await using var next = await OpenAsync(onePool, world.OwnerA, world.OrgA);
        Assert.NotEqual(pid, next.Connection.ProcessID); // the session that could not be reset is gone
        Assert.Null(await Sql.ScalarAsync<string>(next.Connection, "SELECT to_regclass('pg_temp.leftover')::text"));
    }

    [Fact]
    public async Task Key_verification_runs_on_a_reset_connection_too()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var onePool = OnePool("verification");
        await using (var a = await OpenAsync(onePool, world.OwnerA, world.OrgA))
        {
            // Left behind, this would make the key's use (an UPDATE) fail: verification would error instead of passing.
            await Sql.ExecuteAsync(a.Connection, "SET default_transaction_read_only = on");
            Assert.Equal("on", await Sql.ScalarAsync<string>(a.Connection, "SHOW default_transaction_read_only"));
        }

        await using var anonymous = onePool.CreateAsyncScope();
        var verifier = new TenantPortal.Features.ApiKeys.ApiKeyVerifier(
            anonymous.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
        var identity = await verifier.VerifyAsync(world.KeyA, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(world.AgentA, identity?.AgentId);
    }

    /// <summary>A request of owner A that leaves a temporary table on its connection; returns the backend's pid.</summary>
    private static async Task<int> LeaveTableBehindAsync(ServiceProvider onePool, TwoTenants world)
    {
        await using var a = await OpenAsync(onePool, world.OwnerA, world.OrgA);
        await Sql.ExecuteAsync(a.Connection, "CREATE TEMP TABLE leftover (x int)");
        return a.Connection.ProcessID;
    }

    [Fact]
    public async Task An_agents_request_enters_the_agents_context_on_every_connection_and_stops_when_its_key_does()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var sibling = await Tenants.CreateProjectAsync(fixture.Database, world.OwnerA, world.OrgA, world.GeneralA, "sibling", "Sibling");
        var ct = TestContext.Current.CancellationToken;
        await using var request = services.CreateAsyncScope();
        var verifier = new TenantPortal.Features.ApiKeys.ApiKeyVerifier(
            request.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
        var agent = await verifier.VerifyAsync(world.KeyA, cancellationToken: ct);
        Assert.NotNull(agent);
        request.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>().EnterAgent(world.KeyA, agent);
        var factory = request.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();

        for (var connection = 0; connection < 3; connection++)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            // Row-level security alone: the key's project, never its sibling in the same workspace, no memberships.
            Assert.Equal([world.ProjectA], await db.Projects.IgnoreQueryFilters().Select(p => p.Id).ToListAsync(ct));
            Assert.Equal(agent.KeyId, (await db.Database.SqlQueryRaw<Guid>("SELECT app.current_key_id() AS \"Value\"").ToListAsync(ct)).Single());
        }

        await using (var owner = await OpenAsync(services, world.OwnerA, world.OrgA))
        {
            Assert.Contains(sibling, await owner.Db.Projects.Select(p => p.Id).ToListAsync(ct)); // positive control
        }

        await Sql.ExecuteAsync(fixture.Database.AdminConnectionString, "UPDATE api_keys SET status = 'disabled' WHERE id = @k", ("k", agent.KeyId));
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            await Assert.ThrowsAsync<TenantPortal.Tenancy.AgentKeyRefusedException>(() => db.Projects.IgnoreQueryFilters().ToListAsync(ct));
        }
    }

    private ServiceProvider OnePool(string name) => new ServiceCollection()
        .AddPortalDbContext(new Npgsql.NpgsqlConnectionStringBuilder(fixture.Database.AppConnectionString) { MaxPoolSize = 1, ApplicationName = name }.ConnectionString)
        .BuildServiceProvider();

    /// <summary>A request's context with its connection open (reset and entered; nobody signed in without a user).</summary>
    private static async Task<OpenRequest> OpenAsync(ServiceProvider provider, Guid? user, Guid? org)
    {
        var scope = provider.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>();
        if (user is Guid signedIn)
        {
            tenant.SignIn(signedIn);
            tenant.Enter(org!.Value, "slug", "Name", "owner", null, null);
        }

        var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        try
        {
            await db.Database.OpenConnectionAsync();
        }
        catch
        {
            await db.DisposeAsync();
            await scope.DisposeAsync();
            throw;
        }

        return new OpenRequest(scope, db);
    }

    private sealed record OpenRequest(AsyncServiceScope Scope, PortalDbContext Db) : IAsyncDisposable
    {
        public Npgsql.NpgsqlConnection Connection => (Npgsql.NpgsqlConnection)Db.Database.GetDbConnection();

        public async ValueTask DisposeAsync()
        {
            await Db.DisposeAsync();
            await Scope.DisposeAsync();
        }
    }

    [Fact]
    public async Task Code_that_needs_an_organization_throws_without_one()
    {
        await using var scope = services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>();

        Assert.Throws<TenantPortal.Tenancy.TenantContextMissingException>(() => tenant.RequireOrg());
        Assert.Throws<TenantPortal.Tenancy.TenantContextMissingException>(() => tenant.RequireUser());
    }

    private AsyncServiceScope OpenCircuit(Guid user, Guid org, string role = "owner", ServiceProvider? provider = null)
    {
        var scope = (provider ?? services).CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>();
        tenant.SignIn(user);
        tenant.Enter(org, "slug", "Name", role, null, null);
        return scope;
    }

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
