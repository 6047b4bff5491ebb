using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace TenantPortal.Hosting;

/// <summary>
/// Where the private cluster lives and which server programs run it. When the process is root, PostgreSQL runs as the
/// postgres user; if that user cannot reach <paramref name="DataDirectory"/> (a clone in root's 0700 home), the cluster
/// lives below <paramref name="ServiceUserRoot"/> instead, in a folder named after the configured one.
/// </summary>
public sealed record EmbeddedPostgresOptions(string DataDirectory, IReadOnlyList<string> BinarySearchPath, string ServiceUserRoot = EmbeddedPostgresOptions.DefaultServiceUserRoot)
{
    public const string DefaultServiceUserRoot = "/var/lib/tenantportal";
}

/// <summary>A private PostgreSQL cluster that the app (or the test suite) initializes, starts on a free loopback port and stops.</summary>
public sealed partial class EmbeddedPostgres(EmbeddedPostgresOptions options, ILogger<EmbeddedPostgres>? logger = null) : IAsyncDisposable
{
    private const string CredentialsFile = "tenantportal-credentials.json";
    private const string ServiceUser = "postgres";
    private readonly ILogger logger = logger ?? NullLogger<EmbeddedPostgres>.Instance;
    private string? binDirectory;
    private EmbeddedCredentials? credentials;

    /// <summary>The configured folder, or the one the postgres user can reach in its place (known once started).</summary>
    public string DataDirectory { get; private set; } = Path.GetFullPath(options.DataDirectory);

    public int Port { get; private set; }

    public bool IsRunning { get; private set; }

    /// <summary>PostgreSQL refuses to run as root, so a root process runs its programs as the postgres user.</summary>
    private static string? RunAsUser => Environment.UserName == "root" ? ServiceUser : null;

    public EmbeddedCredentials Credentials => credentials ?? throw new InvalidOperationException("The cluster has not been started.");

    public string ConnectionString(string username, string password, string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = username,
        Password = password,
        Database = database,
    }.ConnectionString;

    public string SuperuserConnectionString(string database = "postgres") =>
        ConnectionString(ServiceUser, Credentials.SuperuserPassword, database) + ";Pooling=false";

    /// <summary>Initializes the cluster on first use, then starts it (or adopts a server left running on the same directory).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        binDirectory = PostgresBinaries.Locate(options.BinarySearchPath);
        DataDirectory = await ReachableDataDirectoryAsync(cancellationToken);
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            await InitializeAsync(cancellationToken);
        }

        credentials = await ReadCredentialsAsync(cancellationToken);
        var status = await PgCtlAsync(["status", "-D", DataDirectory], cancellationToken);
        if (status.Succeeded && ReadRunningPort() is int runningPort)
        {
            LogAdopted(logger, DataDirectory, runningPort);
            Port = runningPort;
            IsRunning = true;
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            Port = FreeLoopbackPort();
            var started = await PgCtlAsync(
            [
                "start", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "server.log"),
                "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
            ], cancellationToken);
            if (started.Succeeded)
            {
                break;
            }

            // Another process may have taken the port between choosing and binding it.
            if (attempt == 3)
            {
                throw new StartupException($"PostgreSQL did not start from {DataDirectory}: {started.Output} (see {Path.Combine(DataDirectory, "server.log")}).");
            }
        }

        IsRunning = true;
        LogStarted(logger, Port, DataDirectory);
    }

    public async Task StopAsync()
    {
        if (!IsRunning || binDirectory is null)
        {
            return;
        }

        IsRunning = false;
        var postmasterPid = ReadPostmasterLine(0);
        var stopped = await PgCtlAsync(["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60"], CancellationToken.None);
        await WaitForExitAsync(postmasterPid);
        // Ctrl+C in a terminal also reaches the server directly, which may already have shut down.
        if (stopped.Succeeded || !File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            LogStopped(logger);
        }
        else
        {
            LogStopFailed(logger, stopped.Output);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// The configured folder when the server's user can reach it; otherwise a folder named after the configured path
    /// below <see cref="EmbeddedPostgresOptions.ServiceUserRoot"/>, the same on every run so the data persists.
    /// </summary>
    private async Task<string> ReachableDataDirectoryAsync(CancellationToken cancellationToken)
    {
        var configured = Path.GetFullPath(options.DataDirectory);
        if (RunAsUser is not string user || OperatingSystem.IsWindows())
        {
            return configured;
        }

        Directory.CreateDirectory(configured);
        if (await CanReachAsync(user, configured, cancellationToken))
        {
            return configured;
        }

        var identity = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(configured)))[..12].ToLowerInvariant();
        var home = Path.Combine(options.ServiceUserRoot, $"cluster-{identity}");
        foreach (var folder in new[] { options.ServiceUserRoot, home })
        {
            Directory.CreateDirectory(folder);
            // Only the path must be searchable; the cluster folder itself is the postgres user's (initdb makes it 0700).
            File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        var relocated = Path.Combine(home, Path.GetFileName(configured));
        LogRelocated(logger, user, configured, relocated);
        return relocated;
    }

    private static async Task<bool> CanReachAsync(string user, string folder, CancellationToken cancellationToken) =>
        (await ProcessRunner.RunAsync("test", ["-x", folder], user, cancellationToken)).Succeeded;

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw new StartupException($"{DataDirectory} is not empty and is not a PostgreSQL data directory. Choose another Database:DataDirectory or empty it.");
        }

        Directory.CreateDirectory(DataDirectory);
        var created = new EmbeddedCredentials(NewPassword(), NewPassword(), NewPassword());
        var passwordFile = Path.Combine(DataDirectory, "..", $".pwfile-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, created.SuperuserPassword, cancellationToken);
        try
        {
            if (RunAsUser is string user)
            {
                await GiveToAsync(user, DataDirectory, cancellationToken);
                await GiveToAsync(user, passwordFile, cancellationToken);
            }

            var result = await RunAsync("initdb",
            [
                "-D", DataDirectory, "-U", ServiceUser, "--pwfile", Path.GetFullPath(passwordFile),
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
            ], cancellationToken);
            if (!result.Succeeded)
            {
                throw new StartupException($"initdb failed for {DataDirectory}: {result.Output}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }

        var credentialsPath = Path.Combine(DataDirectory, CredentialsFile);
        await File.WriteAllTextAsync(credentialsPath, JsonSerializer.Serialize(created), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(credentialsPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        LogInitialized(logger, DataDirectory);
    }

    private async Task<EmbeddedCredentials> ReadCredentialsAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(DataDirectory, CredentialsFile);
        if (!File.Exists(path))
        {
            throw new StartupException($"{DataDirectory} holds a PostgreSQL cluster that TenantPortal did not create ({CredentialsFile} is missing).");
        }

        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<EmbeddedCredentials>(stream, cancellationToken: cancellationToken)
            ?? throw new StartupException($"{path} is empty.");
    }

    // postmaster.pid: line 1 is the server's process id, line 4 the port it listens on.
    private int? ReadRunningPort() => ReadPostmasterLine(3);

    private int? ReadPostmasterLine(int index)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            var lines = File.Exists(pidFile) ? File.ReadAllLines(pidFile) : [];
            return lines.Length > index && int.TryParse(lines[index], out var value) ? value : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // pg_ctl returns once the pid file is gone; the last process may still be exiting. Leave nothing behind.
    private static async Task WaitForExitAsync(int? pid)
    {
        for (var i = 0; pid is not null && i < 100 && Directory.Exists($"/proc/{pid}"); i++)
        {
            await Task.Delay(100);
        }
    }

    private Task<ProcessRunner.Result> PgCtlAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync("pg_ctl", arguments, cancellationToken);

    private Task<ProcessRunner.Result> RunAsync(string program, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(Path.Combine(binDirectory!, program), arguments, RunAsUser, cancellationToken);

    private static async Task GiveToAsync(string user, string path, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("chown", ["-R", $"{user}:", path], cancellationToken: cancellationToken);
        if (!result.Succeeded)
        {
            throw new StartupException($"Could not give {path} to the '{user}' user (PostgreSQL refuses to run as root): {result.Output}");
        }
    }

    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Initialized a PostgreSQL cluster in {DataDirectory}.")]
    private static partial void LogInitialized(ILogger logger, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL runs as the '{User}' user, which cannot reach {Configured} (a parent folder is private); its cluster lives in {DataDirectory} instead.")]
    private static partial void LogRelocated(ILogger logger, string user, string configured, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL started on 127.0.0.1:{Port} with data in {DataDirectory}.")]
    private static partial void LogStarted(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopting the PostgreSQL server already running on {DataDirectory} (port {Port}).")]
    private static partial void LogAdopted(ILogger logger, string dataDirectory, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL stopped.")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Embedded PostgreSQL did not stop cleanly: {Output}")]
    private static partial void LogStopFailed(ILogger logger, string output);

    private static string NewPassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
}

/// <summary>Passwords generated when the cluster was initialized, kept (mode 600) inside its data directory.</summary>
public sealed record EmbeddedCredentials(string SuperuserPassword, string OwnerPassword, string AppPassword);
