namespace TenantPortal.Features.Preferences;

/// <summary>Each person's own settings (the light or dark theme).</summary>
internal sealed class PreferencesFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<ThemePreferences>();
}
