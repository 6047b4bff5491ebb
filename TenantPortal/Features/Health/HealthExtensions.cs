namespace TenantPortal.Features.Health;

internal static class HealthExtensions
{
    public static WebApplicationBuilder AddPortalHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }

    /// <summary><c>GET /health</c>: 200 "Healthy" or 503 "Unhealthy", nothing else.</summary>
    public static IEndpointConventionBuilder MapPortalHealth(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapHealthChecks("/health");
}
