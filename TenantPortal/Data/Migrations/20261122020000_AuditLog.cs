using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace TenantPortal.Data.Migrations;

[DbContext(typeof(PortalDbContext))]
[Migration("20261122020000_AuditLog")]
internal sealed class AuditLog : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql(SqlScript.Read("0003_audit_tables.sql"));
        migrationBuilder.Sql(SqlScript.Read("0003_audit_functions.sql"));
        migrationBuilder.Sql(SqlScript.Read("0003_audit_policies.sql"));
    }
}
