using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using TenantPortal.Data;
using TenantPortal.Hosting;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Data;

/// <summary>Every entity mapped to a table with org_id carries the Tenant query filter, unless it says why not.</summary>
public sealed class TenantFilterTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Every_entity_of_a_table_with_org_id_has_the_tenant_filter()
    {
        var tables = await TablesWithOrgIdAsync();
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDataExtensions.ConfigurePortal(options, fixture.Database.AppConnectionString);
        await using var db = new PortalDbContext(options.Options);
        // Positive control: the entities known to be filtered are among those checked.
        Assert.Superset(new HashSet<string> { "projects", "agents", "api_keys", "org_members" },
            db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Where(tables.Contains).ToHashSet());

        Assert.Empty(Unfiltered(db.Model, tables));
    }

    [Fact]
    public async Task An_entity_of_such_a_table_without_the_filter_is_reported()
    {
        var options = new DbContextOptionsBuilder<StrayContext>().UseNpgsql(fixture.Database.AppConnectionString).Options;
        await using var db = new StrayContext(options);

        Assert.Equal(["Stray (projects)"], Unfiltered(db.Model, await TablesWithOrgIdAsync()));
    }

    /// <summary>Entities mapped to a table with org_id that have no Tenant filter and no stated reason.</summary>
    private static List<string> Unfiltered(IModel model, IReadOnlySet<string> tablesWithOrgId) =>
    [
        .. model.GetEntityTypes()
            .Where(e => e.GetTableName() is string table && tablesWithOrgId.Contains(table))
            .Where(e => e.FindDeclaredQueryFilter(PortalDbContext.TenantFilter) is null && e.ClrType.GetCustomAttribute<NotTenantFilteredAttribute>() is null)
            .Select(e => $"{e.ClrType.Name} ({e.GetTableName()})")
            .Order(StringComparer.Ordinal),
    ];

    private async Task<IReadOnlySet<string>> TablesWithOrgIdAsync() => (await Sql.ColumnAsync(fixture.Database.AdminConnectionString,
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'org_id'")).ToHashSet();

    private sealed class Stray
    {
        public Guid OrgId { get; set; }

        public Guid Id { get; set; }
    }

    private sealed class StrayContext(DbContextOptions<StrayContext> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.Entity<Stray>().ToTable("projects").HasKey(s => new { s.OrgId, s.Id });
    }
}
