namespace TenantPortal.Features.Plans;

/// <summary>Plans: usage meters for an organization, plan changes by platform admins, and the limits' refusals.</summary>
internal sealed class PlansFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings) => services.AddScoped<PlanService>();

    // The database raises plan_limit_<what>|<plan>|<limit>.
    public IEnumerable<Refusal> Refusals =>
    [
        new("plan_limit_owned_orgs", a => $"The {PlanName(a[0])} plan lets you own {Refusal.Count(a[1], "organization")}, and you already do. " +
            "Upgrade your plan to create another, or ask to be invited to an existing one."),
        new("plan_limit_projects", a => $"The {PlanName(a[0])} plan allows {Refusal.Count(a[1], "project")} per organization, and this organization has " +
            "reached that. Delete a project or upgrade the organization's plan to add another."),
        new("plan_limit_members", a => $"The {PlanName(a[0])} plan allows {Refusal.Count(a[1], "member")} per organization, pending invitations included, " +
            "and this organization has reached that. Remove a member or revoke an invitation, or upgrade the plan."),
        new("plan_limit_agents", a => $"The {PlanName(a[0])} plan allows at most {Refusal.Count(a[1], "agent")} per project; choose {a[1]} or fewer."),
    ];

    public static string PlanName(string code) => code.Length == 0 ? code : char.ToUpperInvariant(code[0]) + code[1..];
}
