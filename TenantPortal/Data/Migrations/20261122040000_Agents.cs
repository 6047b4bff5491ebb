using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace TenantPortal.Data.Migrations;

[DbContext(typeof(PortalDbContext))]
[Migration("20261122040000_Agents")]
internal sealed class Agents : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql(SqlScript.Read("0005_agents.sql"));
        migrationBuilder.Sql(SqlScript.Read("0005_api_keys.sql"));
        migrationBuilder.Sql(SqlScript.Read("0005_grants.sql"));
    }
}
