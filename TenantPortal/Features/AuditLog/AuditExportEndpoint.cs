using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TenantPortal.Data;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AuditLog;

internal static class AuditExportEndpoint
{
    /// <summary>How many rows the export is about to stream, so the page can show progress.</summary>
    public const string RowsHeader = "X-Audit-Rows";

    /// <summary><c>GET /audit/export?org=…&amp;format=csv|jsonl&amp;…filters</c>: the filtered log of an organization, streamed.</summary>
    public static IEndpointConventionBuilder MapAuditExport(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/audit/export", ExportAsync).RequireAuthorization();

    private static async Task<IResult> ExportAsync(
        HttpContext http, TenantContext tenant, AuditLogService audit, IDbContextFactory<PortalDbContext> dbFactory,
        [FromQuery] Guid org, [FromQuery] string? format, [FromQuery] DateTime? from, [FromQuery] DateTime? to,
        [FromQuery] string? actions, [FromQuery] string? actorType, [FromQuery] Guid? actor, [FromQuery] string? entityType, [FromQuery] string? entityId,
        [FromQuery] string? status, [FromQuery] string? text)
    {
        format ??= AuditExport.Csv;
        if (format is not (AuditExport.Csv or AuditExport.JsonLines))
        {
            return TypedResults.Problem("Use format=csv or format=jsonl.", statusCode: StatusCodes.Status400BadRequest);
        }

        var filter = new AuditFilter
        {
            From = from, To = to, ActorType = actorType, Actor = actor, EntityType = entityType, EntityId = entityId, Status = status, Text = text,
            Actions = actions?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
        };
        if (filter.Problem is string problem)
        {
            return TypedResults.Problem(problem, statusCode: StatusCodes.Status400BadRequest);
        }

        if (!Guid.TryParse(http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return TypedResults.Unauthorized();
        }

        // The database confirms the membership and reports the role; only owners and admins read the log.
        tenant.SignIn(userId);
        tenant.ClientIp = http.Connection.RemoteIpAddress?.ToString();
        tenant.UserAgent = http.Request.Headers.UserAgent.ToString();
        string role;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            role = await db.Database.SqlQuery<string>($"SELECT app.enter_user_context({userId}, {org}, {tenant.ClientIp}, {tenant.UserAgent}) AS \"Value\"").SingleAsync(http.RequestAborted);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return TypedResults.NotFound();
        }

        if (!OrgRole.CanManage(role))
        {
            return TypedResults.Problem("Only owners and admins can export the audit log.", statusCode: StatusCodes.Status403Forbidden);
        }

        tenant.Enter(org, "", "", role, null, null);
        var fileName = $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.{format}";
        http.Response.ContentType = AuditExport.ContentType(format);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        http.Response.Headers[RowsHeader] = (await audit.CountAsync(filter, cancellationToken: http.RequestAborted)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var rows = await AuditExport.WriteAsync(format, audit.StreamAsync(filter, cancellationToken: http.RequestAborted), http.Response.Body, http.RequestAborted);
        await audit.RecordExportAsync(filter, format, rows, http.RequestAborted);
        return TypedResults.Empty;
    }
}
