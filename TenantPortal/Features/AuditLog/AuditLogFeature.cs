namespace TenantPortal.Features.AuditLog;

/// <summary>The audit log: reading and verifying chains, exporting them, and recording sign-ins.</summary>
internal sealed class AuditLogFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings)
    {
        services.AddScoped<AuditLogService>();
        services.AddSingleton<SignInEvents>();
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapAuditExport();
}
