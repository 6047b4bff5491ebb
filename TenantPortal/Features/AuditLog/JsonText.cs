using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;
using Microsoft.EntityFrameworkCore.Storage;

namespace TenantPortal.Features.AuditLog;

/// <summary>A jsonb column as its text (<c>details::text</c>) inside LINQ queries, for substring search.</summary>
public static class JsonText
{
    public static string Of(JsonDocument document) =>
        throw new InvalidOperationException($"{nameof(JsonText)}.{nameof(Of)} runs only inside a database query.");

    internal static void Register(ModelBuilder builder) =>
        builder.HasDbFunction(typeof(JsonText).GetMethod(nameof(Of))!)
            .HasTranslation(args => new SqlUnaryExpression(ExpressionType.Convert, (SqlExpression)args[0], typeof(string), new StringTypeMapping("text", System.Data.DbType.String)));
}
