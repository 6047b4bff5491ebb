using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AuditLog;

/// <summary>Platform events of one person (sign-ins and sign-outs), recorded in the platform chain of the audit log.</summary>
public sealed class SignInEvents(DbContextOptions<PortalDbContext> options)
{
    public const string Login = "login";
    public const string Logout = "logout";
    public const string LoginFailed = "login_failed";

    /// <summary>Records an event as <paramref name="userId"/> (or as the system for an unknown account).</summary>
    public async Task RecordAsync(Guid? userId, string action, string? email, string? clientIp, string? userAgent, bool success = true, CancellationToken cancellationToken = default)
    {
        var tenant = new TenantContext { ClientIp = clientIp, UserAgent = userAgent };
        if (userId is Guid id)
        {
            tenant.SignIn(id);
        }

        await using var db = new PortalDbContext(options, tenant);
        var details = JsonSerializer.Serialize(new { email });
        await db.Database.ExecuteSqlAsync(
            $"SELECT app.record_event({action}, 'users', {userId?.ToString()}, {details}::jsonb, {(success ? "success" : "failure")}, {(success ? null : "Wrong email or password")})",
            cancellationToken);
    }

    /// <summary>The person's own latest platform events, newest first (the view own_platform_events admits only their own).</summary>
    public async Task<List<AuditEvent>> HistoryAsync(Guid userId, int count = 20, CancellationToken cancellationToken = default)
    {
        var tenant = new TenantContext();
        tenant.SignIn(userId);
        await using var db = new PortalDbContext(options, tenant);
        return await db.AuditEvents.FromSql($"SELECT * FROM own_platform_events ORDER BY seq DESC LIMIT {count}").AsNoTracking().ToListAsync(cancellationToken);
    }
}
