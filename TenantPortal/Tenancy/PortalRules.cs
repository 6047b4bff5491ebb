namespace TenantPortal.Tenancy;

/// <summary>
/// The portal's own refusals raised by the database (SQLSTATE P0001) as <c>code|arg|arg</c>, turned into sentences
/// that say what happened and what to do.
/// </summary>
public static class PortalRules
{
    /// <summary>The sentence for a database rule message, or null when the message is not one of the portal's rules.</summary>
    public static string? Describe(string message)
    {
        var parts = message.Split('|');
        var plan = parts.Length > 1 ? PlanName(parts[1]) : "current";
        var limit = parts.Length > 2 ? parts[2] : "no more";
        return parts[0] switch
        {
            "plan_limit_owned_orgs" => $"The {plan} plan lets you own {limit} {Plural(limit, "organization")}, and you already do. " +
                "Upgrade your plan to create another, or ask to be invited to an existing one.",
            "plan_limit_projects" => $"The {plan} plan allows {limit} {Plural(limit, "project")} per organization, and this organization has " +
                "reached that. Delete a project or upgrade the organization's plan to add another.",
            "plan_limit_members" => $"The {plan} plan allows {limit} {Plural(limit, "member")} per organization, pending invitations included, " +
                "and this organization has reached that. Remove a member or revoke an invitation, or upgrade the plan.",
            "plan_limit_agents" => $"The {plan} plan allows at most {limit} {Plural(limit, "agent")} per project; choose {limit} or fewer.",
            "agent_limit" => $"This project allows {parts.ElementAtOrDefault(1) ?? "no more"} {Plural(parts.ElementAtOrDefault(1) ?? "", "agent")}, and it has " +
                "reached that. Delete an agent, or raise the project's agent limit (within the plan) to add another.",
            "last_owner" => "An organization always needs an owner. Make another member an owner first.",
            "invitation_not_found" => "This invitation link is not valid. Check that you copied the whole link, or ask for a new invitation.",
            "invitation_revoked" => "This invitation was revoked. Ask the organization for a new one.",
            "invitation_used" => "This invitation has already been used. If that was not you, ask the organization for a new one.",
            "invitation_expired" => "This invitation has expired (links are valid for 7 days). Ask the organization to resend it.",
            "invitation_wrong_user" => "This invitation was sent to another email address. Sign in with that address to accept it.",
            _ => null,
        };
    }

    public static string PlanName(string code) => code.Length == 0 ? code : char.ToUpperInvariant(code[0]) + code[1..];

    private static string Plural(string count, string noun) => count == "1" ? noun : noun + "s";
}
