using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Organizations;

public sealed class OrganizationServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Creating_switches_the_circuit_to_the_new_organization_and_remembers_it()
    {
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com");
        await using var circuit = await circuits.OpenAsync(user);
        Assert.Null(circuit.Tenant.OrgId);

        var (result, orgId) = await circuit.Organizations.CreateAsync("  Ünïcode 組織 ", $"uni-{Guid.NewGuid():N}"[..16]);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(orgId, circuit.Tenant.OrgId);
        Assert.Equal("Ünïcode 組織", circuit.Tenant.OrgName);
        Assert.Equal("owner", circuit.Tenant.OrgRole);
        Assert.Equal("General", circuit.Tenant.WorkspaceName);
        await using var next = await circuits.OpenAsync(user);
        Assert.Equal(orgId, next.Tenant.OrgId); // a new circuit restores the last-used organization
    }

    [Theory]
    [InlineData("admin", "“admin” is reserved; choose another.")]
    [InlineData("No Caps", "Use 3–50 lowercase letters, digits or hyphens; start with a letter and end with a letter or digit.")]
    [InlineData("x';--", "Use 3–50 lowercase letters, digits or hyphens; start with a letter and end with a letter or digit.")]
    public async Task Bad_slugs_are_field_errors_and_create_nothing(string slug, string message)
    {
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com");
        await using var circuit = await circuits.OpenAsync(user);

        var (result, _) = await circuit.Organizations.CreateAsync("Name", slug);

        Assert.Equal(("Slug", message), (result.Field, result.Message));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM org_members WHERE user_id = @u", ("u", user)));
    }

    [Fact]
    public async Task A_taken_address_is_a_field_error()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var takenSlug = await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT slug FROM organizations WHERE id = @o", ("o", world.OrgB));
        var user = await Tenants.CreateUserAsync(Db, $"{Guid.NewGuid():N}@example.com");
        await using var circuit = await circuits.OpenAsync(user);

        var (result, _) = await circuit.Organizations.CreateAsync("Copycat", takenSlug!);

        Assert.Equal(("Slug", "That address is already taken; choose another."), (result.Field, result.Message));
    }

    [Fact]
    public async Task Only_the_owner_renames_and_the_name_is_stored_verbatim()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var member = await circuits.OpenAsync(world.MemberA);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var slug = owner.Tenant.OrgSlug!;

        var refused = await member.Organizations.UpdateAsync("Taken over", slug);
        var renamed = await owner.Organizations.UpdateAsync("<script>alert('x')</script> & Co", slug);

        Assert.False(refused.Succeeded);
        Assert.True(renamed.Succeeded, renamed.Message);
        Assert.Equal("<script>alert('x')</script> & Co", await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT name FROM organizations WHERE id = @o", ("o", world.OrgA)));
        Assert.Equal("<script>alert('x')</script> & Co", owner.Tenant.OrgName);
    }

    [Fact]
    public async Task Deleting_needs_the_typed_address_and_removes_everything_under_the_organization()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        await using var member = await circuits.OpenAsync(world.MemberA);

        var byMember = await member.Organizations.DeleteAsync(member.Tenant.OrgSlug!);
        var mistyped = await owner.Organizations.DeleteAsync("acme");
        Assert.False(byMember.Succeeded);
        Assert.Equal("Confirmation", mistyped.Field);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM organizations WHERE id = @o", ("o", world.OrgA)));

        var deleted = await owner.Organizations.DeleteAsync(owner.Tenant.OrgSlug!);

        Assert.True(deleted.Succeeded, deleted.Message);
        Assert.Null(owner.Tenant.OrgId);
        foreach (var table in new[] { "org_members", "workspaces", "workspace_members" })
        {
            Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, $"SELECT count(*) FROM {table} WHERE org_id = @o", ("o", world.OrgA)));
        }

        // Positive control: the other organization is untouched.
        Assert.True(await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM workspaces WHERE org_id = @o", ("o", world.OrgB)) > 0);
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
