using System.Text;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using TenantPortal.Data;

namespace TenantPortal.Components.Account;

/// <summary>Builds the absolute links that account emails carry (tokens are base64url-encoded for the query string).</summary>
internal sealed class AccountLinks(NavigationManager navigationManager, UserManager<PortalUser> userManager)
{
    public async Task<string> EmailConfirmationAsync(PortalUser user, string? returnUrl = null)
    {
        var code = Encode(await userManager.GenerateEmailConfirmationTokenAsync(user));
        return Link("Account/ConfirmEmail", new() { ["userId"] = user.Id.ToString(), ["code"] = code, ["returnUrl"] = returnUrl });
    }

    public async Task<string> PasswordResetAsync(PortalUser user)
    {
        var code = Encode(await userManager.GeneratePasswordResetTokenAsync(user));
        return Link("Account/ResetPassword", new() { ["code"] = code });
    }

    public static string Decode(string code) => Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(code));

    private static string Encode(string token) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));

    private string Link(string path, Dictionary<string, object?> query) =>
        navigationManager.GetUriWithQueryParameters(navigationManager.ToAbsoluteUri(path).AbsoluteUri, query);
}
