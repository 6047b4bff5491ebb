using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using TenantPortal.Data;
using TenantPortal.Features.AuditLog;

namespace TenantPortal.Components.Account;

internal static class IdentityEndpoints
{
    /// <summary>Endpoints the static account pages post to that are not pages themselves.</summary>
    public static IEndpointConventionBuilder MapAccountEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var account = endpoints.MapGroup("/Account");
        account.MapPost("/Logout", async (HttpContext context, [FromServices] SignInManager<PortalUser> signInManager,
            [FromServices] SignInEvents events, [FromForm] string? returnUrl) =>
        {
            if (Guid.TryParse(signInManager.UserManager.GetUserId(context.User), out var userId))
            {
                await events.RecordAsync(userId, SignInEvents.Logout, context.User.Identity?.Name,
                    context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
            }

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
