using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace TenantPortal.Data.Migrations;

[DbContext(typeof(PortalDbContext))]
[Migration("20261122030000_Projects")]
internal sealed class Projects : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql(SqlScript.Read("0004_plans.sql"));
        migrationBuilder.Sql(SqlScript.Read("0004_projects.sql"));
        migrationBuilder.Sql(SqlScript.Read("0004_members.sql"));
        migrationBuilder.Sql(SqlScript.Read("0004_invitations.sql"));
        migrationBuilder.Sql(SqlScript.Read("0004_grants.sql"));
    }
}
