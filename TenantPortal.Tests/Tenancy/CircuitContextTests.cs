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
    public async Task Code_that_needs_an_organization_throws_without_one()
    {
        await using var scope = services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>();

        Assert.Throws<TenantPortal.Tenancy.TenantContextMissingException>(() => tenant.RequireOrg());
        Assert.Throws<TenantPortal.Tenancy.TenantContextMissingException>(() => tenant.RequireUser());
    }

    private AsyncServiceScope OpenCircuit(Guid user, Guid org, string role = "owner")
    {
        var scope = services.CreateAsyncScope();
        var tenant = scope.ServiceProvider.GetRequiredService<TenantPortal.Tenancy.TenantContext>();
        tenant.SignIn(user);
        tenant.Enter(org, "slug", "Name", role, null, null);
        return scope;
    }

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
