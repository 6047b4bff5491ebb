namespace TenantPortal.Features.AuditLog;

/// <summary>What the viewer asks for; <see cref="Problem"/> says what is wrong with it, if anything.</summary>
public sealed record AuditFilter
{
    public const int MaxTextLength = 200;

    public DateTime? From { get; init; }
    public DateTime? To { get; init; }
    public string? ActorType { get; init; }

    /// <summary>A person or agent (by id), or an API key (by key id).</summary>
    public Guid? Actor { get; init; }
    public IReadOnlyCollection<string> Actions { get; init; } = [];
    public string? EntityType { get; init; }
    public string? EntityId { get; init; }
    public string? Status { get; init; }
    public string? Text { get; init; }

    public string? Problem =>
        From is not null && To is not null && From > To ? "The start date is after the end date; swap them or change one."
        : Text?.Length > MaxTextLength ? $"Search with at most {MaxTextLength} characters."
        : null;

    /// <summary>A filter with a <see cref="Problem"/> is never run (the viewer shows the problem instead).</summary>
    public void ThrowIfProblem()
    {
        if (Problem is string problem)
        {
            throw new ArgumentException(problem, "filter");
        }
    }
}

/// <summary>One page of events, newest first, with the keys to the pages either side (keyset pagination).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, long? OlderThan, bool HasOlder);

public sealed record AuditVerification(bool Ok, long Events, string HeadHash, long? BrokenSeq, string? Problem);

/// <summary>How many events of one action happened on one day.</summary>
public sealed record AuditActivity(DateOnly Day, string Action, int Count);

/// <summary>Someone (or something) that appears as an actor in a chain, for the actor filter.</summary>
public sealed record AuditActor(Guid Id, string Name);
