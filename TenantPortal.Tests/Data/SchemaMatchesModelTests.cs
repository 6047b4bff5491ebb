using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using TenantPortal.Data;
using TenantPortal.Hosting;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Data;

/// <summary>Migrations are hand-written SQL, so this test is what keeps the EF model and the migrated schema in step.</summary>
public sealed class SchemaMatchesModelTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Every_mapped_column_exists_with_the_same_nullability()
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDataExtensions.ConfigurePortal(options, fixture.Database.AppConnectionString);
        await using var db = new PortalDbContext(options.Options);

        var actual = (await Sql.ColumnAsync(fixture.Database.AdminConnectionString, """
            SELECT table_name || '.' || column_name || ':' || is_nullable
            FROM information_schema.columns WHERE table_schema = 'public'
            """)).ToHashSet();

        var expected = new List<string>();
        foreach (var entity in db.Model.GetEntityTypes())
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            foreach (var property in entity.GetProperties())
            {
                expected.Add($"{table.Name}.{property.GetColumnName(table)}:{(property.IsColumnNullable(table) ? "YES" : "NO")}");
            }
        }

        Assert.NotEmpty(expected);
        var missing = expected.Except(actual).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public async Task The_app_reads_users_through_ef_core_as_portal_app()
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDataExtensions.ConfigurePortal(options, fixture.Database.AppConnectionString);
        await using var db = new PortalDbContext(options.Options);
        var user = new PortalUser { Id = Guid.NewGuid(), UserName = "ef@example.com", Email = "ef@example.com", NormalizedEmail = "EF@EXAMPLE.COM", NormalizedUserName = "EF@EXAMPLE.COM", Theme = UserTheme.Dark };
        db.Users.Add(user);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);

        db.ChangeTracker.Clear();
        var loaded = await db.Users.SingleAsync(u => u.Id == user.Id, TestContext.Current.CancellationToken);
        Assert.Equal(UserTheme.Dark, loaded.Theme);
        Assert.NotEqual(default, loaded.CreatedAt);
    }
}
