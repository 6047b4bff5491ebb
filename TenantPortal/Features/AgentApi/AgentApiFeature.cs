using Scalar.AspNetCore;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// The agent API under <c>/api/v1</c>: agents call it with their key (<c>Authorization: Bearer</c>), in their own
/// project only, with what their key's capabilities allow. Errors are problem+json (<see cref="ApiProblem"/>).
/// </summary>
internal sealed class AgentApiFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings)
    {
        services.AddScoped<AgentData>();
        services.AddSingleton<ChangeSignals>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeSignals>());
        services.AddOpenApi(AgentApiDocument.Name, AgentApiDocument.Configure);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/v1").AddEndpointFilter(AgentApiPipeline.Authenticate).DisableAntiforgery();
        AgentEndpoints.Map(api);
        MessageEndpoints.Map(api);
        DecisionEndpoints.Map(api);
        MeetingEndpoints.Map(api);
        EventEndpoints.Map(api);
        // The API's description (/openapi/v1.json) and a page to browse and try it (/api/reference/v1).
        endpoints.MapOpenApi();
        endpoints.MapScalarApiReference(AgentApiDocument.ReferencePath, options => options
            .WithTitle("TenantPortal agent API")
            .AddPreferredSecuritySchemes("bearer"));
    }
}
