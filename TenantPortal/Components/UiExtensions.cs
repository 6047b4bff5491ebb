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
        builder.Services.AddScoped<ThemePreferences>();
        builder.Services.AddScoped<OrganizationService>();
        builder.Services.AddScoped<WorkspaceService>();
        builder.Services.AddScoped<ProjectService>();
        builder.Services.AddScoped<MemberService>();
        builder.Services.AddScoped<InvitationService>();
        builder.Services.AddScoped<PlanService>();
        builder.Services.AddScoped<AgentService>();
        builder.Services.AddScoped<ApiKeyService>();
        builder.Services.AddScoped<ApiKeyVerifier>();
        builder.Services.AddScoped<AuditLogService>();
        builder.Services.AddSingleton<SignInEvents>();
        return builder;
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
