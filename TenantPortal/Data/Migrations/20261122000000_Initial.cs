using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace TenantPortal.Data.Migrations;

[DbContext(typeof(PortalDbContext))]
[Migration("20261122000000_Initial")]
internal sealed class Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql(SqlScript.Read("0001_identity.sql"));
        migrationBuilder.Sql(SqlScript.Read("0001_first_user_admin.sql"));
        migrationBuilder.Sql(SqlScript.Read("0001_grants.sql"));
    }
}
