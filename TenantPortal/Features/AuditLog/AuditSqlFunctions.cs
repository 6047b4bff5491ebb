using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace TenantPortal.Features.AuditLog;

/// <summary>SQL the audit queries need inside LINQ: a jsonb column as text (substring search) and the UTC day of a moment.</summary>
public static class AuditSqlFunctions
{
    public static string JsonText(JsonDocument document) =>
        throw new InvalidOperationException($"{nameof(AuditSqlFunctions)}.{nameof(JsonText)} runs only inside a database query.");

    /// <summary>The UTC calendar day of a moment (<c>app.utc_day</c>).</summary>
    public static DateOnly UtcDay(DateTimeOffset moment) =>
        throw new InvalidOperationException($"{nameof(AuditSqlFunctions)}.{nameof(UtcDay)} runs only inside a database query.");

    internal static void Register(ModelBuilder builder)
    {
        builder.HasDbFunction(typeof(AuditSqlFunctions).GetMethod(nameof(JsonText))!)
            .HasTranslation(args => new SqlUnaryExpression(ExpressionType.Convert, (SqlExpression)args[0], typeof(string), new StringTypeMapping("text", System.Data.DbType.String)));
        builder.HasDbFunction(typeof(AuditSqlFunctions).GetMethod(nameof(UtcDay))!).HasSchema("app").HasName("utc_day");
    }
}
