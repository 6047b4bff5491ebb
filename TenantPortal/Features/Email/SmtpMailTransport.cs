using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Options;

namespace TenantPortal.Features.Email;

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 587;
    public bool EnableSsl { get; set; } = true;
    public string? UserName { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "TenantPortal <no-reply@localhost>";
}

/// <summary>Delivers mail through the SMTP server configured under Email:Smtp.</summary>
internal sealed class SmtpMailTransport(IOptions<SmtpOptions> options) : IMailTransport
{
    public async Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        using var client = new SmtpClient(smtp.Host, smtp.Port) { EnableSsl = smtp.EnableSsl };
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            client.Credentials = new NetworkCredential(smtp.UserName, smtp.Password);
        }

        using var message = new MailMessage { From = new MailAddress(smtp.From), Subject = mail.Subject, Body = mail.HtmlBody(), IsBodyHtml = true };
        message.To.Add(mail.To);
        await client.SendMailAsync(message, cancellationToken);
    }
}
