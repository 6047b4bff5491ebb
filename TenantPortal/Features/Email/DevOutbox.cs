using System.Collections.Concurrent;

namespace TenantPortal.Features.Email;

/// <summary>Keeps the latest mails in memory (Development only) so every mail flow can be followed without SMTP.</summary>
public sealed class DevOutbox : IMailTransport
{
    private const int Capacity = 200;
    private readonly ConcurrentQueue<OutgoingMail> mails = new();

    public IReadOnlyList<OutgoingMail> Newest() => mails.Reverse().ToList();

    public Task SendAsync(OutgoingMail mail, CancellationToken cancellationToken)
    {
        mails.Enqueue(mail);
        while (mails.Count > Capacity && mails.TryDequeue(out _))
        {
        }

        return Task.CompletedTask;
    }
}
