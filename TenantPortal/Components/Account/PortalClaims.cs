using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using TenantPortal.Data;

namespace TenantPortal;

/// <summary>Claims the portal adds to the sign-in cookie.</summary>
public static class PortalClaims
{
    public const string DisplayName = "tp:display_name";
    public const string PlatformAdmin = "tp:platform_admin";
}

internal sealed class PortalClaimsFactory(UserManager<PortalUser> userManager, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PortalUser>(userManager, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (!string.IsNullOrWhiteSpace(user.DisplayName))
        {
            identity.AddClaim(new Claim(PortalClaims.DisplayName, user.DisplayName));
        }

        if (user.IsPlatformAdmin)
        {
            identity.AddClaim(new Claim(PortalClaims.PlatformAdmin, "true"));
        }

        return identity;
    }
}
