namespace TenantPortal.Data;

/// <summary>Helpers for text searches in SQL.</summary>
public static class SqlText
{
    /// <summary>An ILIKE pattern (escape character <c>\</c>) matching <paramref name="text"/> anywhere, its % and _ taken literally.</summary>
    public static string ContainsPattern(string text) =>
        "%" + text.Trim().Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
