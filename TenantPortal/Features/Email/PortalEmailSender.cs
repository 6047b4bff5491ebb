using Microsoft.AspNetCore.Identity;
using TenantPortal.Data;

namespace TenantPortal.Features.Email;

/// <summary>Turns Identity's account emails into <see cref="OutgoingMail"/> and hands them to every configured transport.</summary>
internal sealed class PortalEmailSender(IEnumerable<IMailTransport> transports, TimeProvider time) : IEmailSender<PortalUser>, IPortalMail
{
    public Task SendConfirmationLinkAsync(PortalUser user, string email, string confirmationLink) =>
        SendAsync(email, "Confirm your TenantPortal account",
            "Welcome to TenantPortal. Confirm your email address to sign in.", "Confirm your account", confirmationLink);

    public Task SendPasswordResetLinkAsync(PortalUser user, string email, string resetLink) =>
        SendAsync(email, "Reset your TenantPortal password",
            "Someone asked to reset the password of your TenantPortal account. If it was you, choose a new password; otherwise ignore this email.",
            "Reset your password", resetLink);

    public Task SendPasswordResetCodeAsync(PortalUser user, string email, string resetCode) =>
        SendAsync(email, "Your TenantPortal password reset code", $"Your password reset code is {resetCode}.", null, null);

    public async Task SendAsync(string recipient, string subject, string text, string? actionText, string? actionLink)
    {
        var mail = new OutgoingMail(recipient, subject, text, actionText, actionLink, time.GetUtcNow());
        foreach (var transport in transports)
        {
            await transport.SendAsync(mail, CancellationToken.None);
        }
    }
}

/// <summary>The portal's own emails (invitations and the like), sent through the same transports as account emails.</summary>
public interface IPortalMail
{
    Task SendAsync(string recipient, string subject, string text, string? actionText, string? actionLink);
}
