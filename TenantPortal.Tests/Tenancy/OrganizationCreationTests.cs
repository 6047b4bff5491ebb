using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Tenancy;

public sealed class OrganizationCreationTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task The_creator_becomes_owner_with_a_General_workspace()
    {
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com");

        var org = await Tenants.CreateOrganizationAsync(Db, user, $"org-{Guid.NewGuid():N}"[..20], "  Trimmed Name  ");

        await using var connection = await Tenants.OpenAsync(Db, user, org);
        Assert.Equal(1, await Tenants.CountAsync(connection, "SELECT count(*) FROM org_members WHERE user_id = @u AND role = 'owner'", ("u", user)));
        Assert.Equal(1, await Tenants.CountAsync(connection, "SELECT count(*) FROM workspaces WHERE slug = 'general' AND name = 'General'"));
        Assert.Equal(1, await Tenants.CountAsync(connection, "SELECT count(*) FROM organizations WHERE name = 'Trimmed Name'"));
    }

    [Fact]
    public async Task Twenty_concurrent_attempts_by_a_free_user_create_exactly_one_organization()
    {
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com");
        var tag = Guid.NewGuid().ToString("N")[..8];

        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                await Tenants.CreateOrganizationAsync(Db, user, $"race-{tag}-{i}", $"Race {i}");
                return "created";
            }
            catch (PostgresException ex) when (ex.MessageText == "plan_limit_owned_orgs|free|1")
            {
                return "limit";
            }
        }));

        Assert.Equal(1, attempts.Count(a => a == "created"));
        Assert.Equal(19, attempts.Count(a => a == "limit"));
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM org_members WHERE user_id = @u AND role = 'owner'", ("u", user)));
    }

    [Fact]
    public async Task A_pro_user_owns_as_many_organizations_as_they_like()
    {
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com", plan: "pro");
        var tag = Guid.NewGuid().ToString("N")[..8];

        // Only Free limits owned organizations; eleven is past any limit Pro ever had.
        for (var i = 0; i < 11; i++)
        {
            await Tenants.CreateOrganizationAsync(Db, user, $"pro-{tag}-{i}", $"Pro {i}");
        }

        Assert.Equal(11L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM org_members WHERE user_id = @u AND role = 'owner'", ("u", user)));
    }

    [Theory]
    [InlineData("ab", "organizations_slug_format")]
    [InlineData("Acme", "organizations_slug_format")]
    [InlineData("acme-", "organizations_slug_format")]
    [InlineData("1acme", "organizations_slug_format")]
    [InlineData("admin", "organizations_slug_format")]
    [InlineData("acme'; DROP TABLE organizations; --", "organizations_slug_format")]
    public async Task The_database_refuses_bad_slugs(string slug, string constraint)
    {
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com");

        var error = await Assert.ThrowsAsync<PostgresException>(() => Tenants.CreateOrganizationAsync(Db, user, slug, "Name"));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal(constraint, error.ConstraintName);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM org_members WHERE user_id = @u", ("u", user)));
    }

    [Fact]
    public async Task Organization_listing_shows_only_the_callers_memberships()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var member = await Tenants.OpenAsync(Db, world.MemberA);

        var orgs = new List<(Guid Org, Guid? Workspace)>();
        await using var command = new NpgsqlCommand("SELECT org_id, workspace_id FROM app.my_organizations()", member);
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                orgs.Add((reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1)));
            }
        }

        Assert.Equal([(world.OrgA, (Guid?)world.GeneralA)], orgs);
    }
}
