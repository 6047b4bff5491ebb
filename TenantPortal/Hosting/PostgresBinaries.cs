namespace TenantPortal.Hosting;

/// <summary>Finds the PostgreSQL server programs (initdb, pg_ctl) on this machine.</summary>
public static class PostgresBinaries
{
    public const string MissingMessage =
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. " +
        "Install the server package (Debian/Ubuntu: sudo apt-get install postgresql), " +
        "or point the app at an existing server by setting both ConnectionStrings__Portal (role portal_app) " +
        "and ConnectionStrings__PortalMigrations (role portal_owner).";

    /// <summary>The folders searched, in order: the configured one, then PATH, then the Debian layout (newest first).</summary>
    public static IReadOnlyList<string> DefaultSearchPath()
    {
        var folders = new List<string>();
        folders.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            folders.AddRange(Directory.GetDirectories(debianRoot)
                .Select(version => Path.Combine(version, "bin"))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0));
        }

        return folders;
    }

    /// <summary>The first folder holding both initdb and pg_ctl, or a <see cref="StartupException"/> naming the package to install.</summary>
    public static string Locate(IEnumerable<string> searchPath)
    {
        foreach (var folder in searchPath)
        {
            if (File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl")))
            {
                return folder;
            }
        }

        throw new StartupException(MissingMessage);
    }
}
