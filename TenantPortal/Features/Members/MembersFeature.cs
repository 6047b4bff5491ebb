namespace TenantPortal.Features.Members;

/// <summary>An organization's members (roles, suspension, leaving) and invitations.</summary>
internal sealed class MembersFeature : IPortalFeature
{
    public void AddServices(IServiceCollection services, FeatureSettings settings)
    {
        services.AddScoped<MemberService>();
        services.AddScoped<InvitationService>();
    }

    public IEnumerable<Refusal> Refusals =>
    [
        new("last_owner", "An organization always needs an owner. Make another member an owner first."),
        new("ux_org_invitations_open", "An invitation to this address is already open; resend it from the list instead.", "Email"),
        new("org_invitations_email_format", "Enter an email address such as name@example.com.", "Email"),
        new("invitation_not_found", "This invitation link is not valid. Check that you copied the whole link, or ask for a new invitation."),
        new("invitation_revoked", "This invitation was revoked. Ask the organization for a new one."),
        new("invitation_used", "This invitation has already been used. If that was not you, ask the organization for a new one."),
        new("invitation_expired", "This invitation has expired (links are valid for 7 days). Ask the organization to resend it."),
        new("invitation_wrong_user", "This invitation was sent to another email address. Sign in with that address to accept it."),
    ];
}
