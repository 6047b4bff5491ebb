using Radzen;
using TenantPortal.Components.Account;
using TenantPortal.Features.Agents;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Features.AuditLog;
using TenantPortal.Features.Organizations;
using TenantPortal.Features.Preferences;
using TenantPortal.Features.Members;
using TenantPortal.Features.Plans;
using TenantPortal.Features.Projects;
using TenantPortal.Features.Workspaces;

namespace TenantPortal.Components;

internal static class UiExtensions
{
    public static WebApplicationBuilder AddPortalUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddRadzenComponents();
        builder.Services.AddPortalFeatures();
        builder.Services.AddSingleton<SignInEvents>();
        return builder;
    }

    /// <summary>The per-circuit services behind the pages; tests wire the same list.</summary>
    public static IServiceCollection AddPortalFeatures(this IServiceCollection services)
    {
        services.AddScoped<ThemePreferences>();
        services.AddScoped<OrganizationService>();
        services.AddScoped<WorkspaceService>();
        services.AddScoped<ProjectService>();
        services.AddScoped<MemberService>();
        services.AddScoped<InvitationService>();
        services.AddScoped<PlanService>();
        services.AddScoped<AgentService>();
        services.AddScoped<ApiKeyService>();
        services.AddScoped<ApiKeyVerifier>();
        services.AddScoped<AuditLogService>();
        return services;
    }

    public static WebApplication MapPortalUi(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapAccountEndpoints();
        app.MapAuditExport();
        return app;
    }
}
