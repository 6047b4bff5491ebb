using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace TenantPortal.Data.Migrations;

[DbContext(typeof(PortalDbContext))]
[Migration("20261122010000_Tenancy")]
internal sealed class Tenancy : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql(SqlScript.Read("0002_tenancy_context.sql"));
        migrationBuilder.Sql(SqlScript.Read("0002_tenancy_tables.sql"));
        migrationBuilder.Sql(SqlScript.Read("0002_tenancy_functions.sql"));
        migrationBuilder.Sql(SqlScript.Read("0002_tenancy_rls.sql"));
        migrationBuilder.Sql(SqlScript.Read("0002_tenancy_grants.sql"));
    }
}
