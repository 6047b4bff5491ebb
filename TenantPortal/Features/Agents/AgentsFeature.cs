namespace TenantPortal.Features.Agents;

/// <summary>The agents of a project.</summary>
internal sealed class AgentsFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<AgentService>();

    public IEnumerable<Refusal> Refusals =>
    [
        new("agents_name_key", "An agent with this name already exists in the project; choose another.", "Name"),
        new("agents_name_format", AgentInput.NameRule, "Name"),
        new("agent_limit", a => $"This project allows {Refusal.Count(a[0], "agent")}, and it has reached that. Delete an agent, or raise the " +
            "project's agent limit (within the plan) to add another."),
    ];
}
