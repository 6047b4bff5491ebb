using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using TenantPortal.Data;

namespace TenantPortal.Components.Account;

internal static class IdentityEndpoints
{
    /// <summary>Endpoints the static account pages post to that are not pages themselves.</summary>
    public static IEndpointConventionBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var account = endpoints.MapGroup("/Account");
        account.MapPost("/Logout", async ([FromServices] SignInManager<PortalUser> signInManager, [FromForm] string? returnUrl) =>
        {
            await signInManager.SignOutAsync();
            // Only local paths; anything else goes home.
            var target = string.IsNullOrEmpty(returnUrl) || !returnUrl.StartsWith('/') || returnUrl.StartsWith("//", StringComparison.Ordinal)
                ? "~/"
                : $"~{returnUrl}";
            return TypedResults.LocalRedirect(target);
        });
        return account;
    }
}
