namespace TenantPortal.Features.Decisions;

/// <summary>The decisions agents propose through the agent API, as people see and take them in a project.</summary>
internal sealed class DecisionsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<DecisionService>();

    public IEnumerable<Refusal> Refusals =>
    [
        new("decisions_decided_once", DecisionService.AlreadyDecided),
        new("decisions_option_chosen", "Choose one of the proposed options.", "Option"),
        new("decisions_rejection_explained", "Say why you reject it; the agent reads this.", "Rationale"),
        new("decisions_rationale_length", $"Use at most {DecisionService.MaxRationale:N0} characters.", "Rationale"),
    ];
}
