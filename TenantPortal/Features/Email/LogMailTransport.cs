namespace TenantPortal.Features.Email;

/// <summary>Writes mails to the log: in full in Development, and as a warning without the link where no SMTP server is configured.</summary>
internal sealed partial class LogMailTransport(ILogger<LogMailTransport> logger, IHostEnvironment environment) : IMailTransport
{
    public Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        if (environment.IsDevelopment())
        {
            LogMail(logger, mail.To, mail.Subject, mail.ActionLink ?? mail.Text);
        }
        else
        {
            LogUndelivered(logger, mail.To, mail.Subject);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Mail to {To}: {Subject} — {Link}")]
    private static partial void LogMail(ILogger logger, string to, string subject, string link);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No SMTP server is configured (Email:Smtp:Host); the mail to {To} \"{Subject}\" was not delivered.")]
    private static partial void LogUndelivered(ILogger logger, string to, string subject);
}
