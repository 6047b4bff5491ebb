using System.Security.Claims;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using TenantPortal.Features;
using Microsoft.Extensions.Logging;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.AuditLog;
using TenantPortal.Features.Email;
using TenantPortal.Features.Members;
using TenantPortal.Features.Plans;
using TenantPortal.Features.Projects;
using TenantPortal.Features.Organizations;
using TenantPortal.Features.Workspaces;
using TenantPortal.Hosting;
using TenantPortal.Tenancy;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>The app's services wired as in Program, with one DI scope per simulated circuit.</summary>
public sealed class Circuits : IAsyncDisposable
{
    private readonly ServiceProvider services;

    public Circuits(TestDatabase database)
    {
        var collection = new ServiceCollection();
        collection.AddPortalDbContext(database.AppConnectionString);
        collection.AddPortalFeatures(new ConfigurationBuilder().Build(), new HostingEnvironment { EnvironmentName = Environments.Development });
        collection.AddSingleton<IPortalMail>(Mail);
        collection.AddSingleton<TimeProvider>(Clock);
        collection.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Log));
        services = collection.BuildServiceProvider();
    }

    /// <summary>The clock every service reads; tests move it instead of waiting.</summary>
    public ManualClock Clock { get; } = new();

    /// <summary>Everything the services and EF Core logged.</summary>
    public CapturedLog Log { get; } = new();

    /// <summary>Every email the circuits sent.</summary>
    public CapturedMail Mail { get; } = new();

    /// <summary>A circuit signed in as <paramref name="user"/>, in its last-used (or first) organization.</summary>
    public async Task<Circuit> OpenAsync(Guid user)
    {
        var scope = services.CreateAsyncScope();
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.ToString())], "Test"));
        await scope.ServiceProvider.GetRequiredService<TenantSession>().InitializeAsync(principal);
        return new Circuit(scope);
    }

    public ValueTask DisposeAsync() => services.DisposeAsync();
}

public sealed class Circuit(AsyncServiceScope scope) : IAsyncDisposable
{
    public TenantSession Session => scope.ServiceProvider.GetRequiredService<TenantSession>();

    public TenantContext Tenant => scope.ServiceProvider.GetRequiredService<TenantContext>();

    public OrganizationService Organizations => scope.ServiceProvider.GetRequiredService<OrganizationService>();

    public WorkspaceService Workspaces => scope.ServiceProvider.GetRequiredService<WorkspaceService>();

    public AuditLogService Audit => scope.ServiceProvider.GetRequiredService<AuditLogService>();

    public ProjectService Projects => scope.ServiceProvider.GetRequiredService<ProjectService>();

    public MemberService Members => scope.ServiceProvider.GetRequiredService<MemberService>();

    public InvitationService Invitations => scope.ServiceProvider.GetRequiredService<InvitationService>();

    public PlanService Plans => scope.ServiceProvider.GetRequiredService<PlanService>();

    public AgentService Agents => scope.ServiceProvider.GetRequiredService<AgentService>();

    public ApiKeyService Keys => scope.ServiceProvider.GetRequiredService<ApiKeyService>();

    public ApiKeyVerifier Verifier => scope.ServiceProvider.GetRequiredService<ApiKeyVerifier>();

    public TenantPortal.Features.Decisions.DecisionService Decisions => scope.ServiceProvider.GetRequiredService<TenantPortal.Features.Decisions.DecisionService>();

    public ValueTask DisposeAsync() => scope.DisposeAsync();
}

/// <summary>Emails sent by the services under test.</summary>
public sealed class CapturedMail : IPortalMail
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<OutgoingMail> sent = new();

    public IReadOnlyList<OutgoingMail> Sent => [.. sent];

    public Task SendAsync(string recipient, string subject, string text, string? actionText, string? actionLink)
    {
        sent.Enqueue(new OutgoingMail(recipient, subject, text, actionText, actionLink, DateTimeOffset.UtcNow));
        return Task.CompletedTask;
    }
}

/// <summary>Log output of the services under test, kept in memory.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> lines = new();

    public string Text => string.Join('\n', lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}
