namespace TenantPortal.Features.ApiKeys;

/// <summary>The API keys of a project's agents: issuing, revoking, rolling, the organization-wide review and verification.</summary>
internal sealed class ApiKeysFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings)
    {
        services.AddScoped<ApiKeyService>();
        services.AddScoped<ApiKeyVerifier>();
    }

    public IEnumerable<Refusal> Refusals =>
    [
        new("ux_api_keys_active_name", "An active key with this name already exists in the project; choose another.", "Name"),
        new("api_keys_name_format", ApiKeyService.NameRule, "Name"),
    ];
}
