namespace TenantPortal.Tests.Infrastructure;

/// <summary>A clock the test moves by hand, so expiry and grace periods are tested without waiting.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;

    /// <summary>
    /// Puts the clock a margin ahead of real time (never back), for code that takes the later of this clock and the
    /// database's own now(): a clock left behind by earlier tests would otherwise lose to the database's.
    /// </summary>
    public void MoveAheadOfRealTime(TimeSpan margin)
    {
        var target = DateTimeOffset.UtcNow + margin;
        if (target > now)
        {
            now = target;
        }
    }
}
