using Microsoft.EntityFrameworkCore;

namespace TenantPortal.Features.AuditLog;

/// <summary>SQL the audit queries need inside LINQ: the UTC day of a moment.</summary>
public static class AuditSqlFunctions
{
    /// <summary>The UTC calendar day of a moment (<c>app.utc_day</c>).</summary>
    public static DateOnly UtcDay(DateTimeOffset moment) =>
        throw new InvalidOperationException($"{nameof(AuditSqlFunctions)}.{nameof(UtcDay)} runs only inside a database query.");

    internal static void Register(ModelBuilder builder)
    {
        builder.HasDbFunction(typeof(AuditSqlFunctions).GetMethod(nameof(UtcDay))!).HasSchema("app").HasName("utc_day");
    }
}
