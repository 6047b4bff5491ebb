namespace TenantPortal.Features.Email;

/// <summary>One email the portal sends: a short text and, usually, the one link the recipient should follow.</summary>
public sealed record OutgoingMail(string To, string Subject, string Text, string? ActionText, string? ActionLink, DateTimeOffset SentAt)
{
    public string HtmlBody()
    {
        var text = System.Net.WebUtility.HtmlEncode(Text);
        return ActionLink is null
            ? $"<p>{text}</p>"
            : $"<p>{text}</p><p><a href=\"{System.Net.WebUtility.HtmlEncode(ActionLink)}\">{System.Net.WebUtility.HtmlEncode(ActionText)}</a></p>";
    }
}

/// <summary>Somewhere mail goes: the development outbox, the log, an SMTP server.</summary>
public interface IMailTransport
{
    Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken);
}
