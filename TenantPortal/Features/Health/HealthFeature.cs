namespace TenantPortal.Features.Health;

/// <summary><c>GET /health</c>: 200 "Healthy" when the database answers, 503 "Unhealthy" otherwise, nothing else.</summary>
internal sealed class HealthFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) =>
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");

    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapHealthChecks("/health");
}
