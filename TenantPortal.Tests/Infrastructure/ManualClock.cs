namespace TenantPortal.Tests.Infrastructure;

/// <summary>A clock the test moves by hand, so expiry and grace periods are tested without waiting.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
