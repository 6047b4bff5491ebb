namespace TenantPortal.Data;

/// <summary>Reads the SQL files under Data/Sql, embedded in the assembly, for migrations to execute.</summary>
internal static class SqlScript
{
    public static string Read(string fileName)
    {
        using var stream = typeof(SqlScript).Assembly.GetManifestResourceStream($"Sql/{fileName}")
            ?? throw new InvalidOperationException($"Embedded SQL script 'Sql/{fileName}' was not found.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
