using TenantPortal.Features.AuditLog;

namespace TenantPortal.Tests.Features.AuditLog;

public sealed class AuditActivityBucketsTests
{
    private static readonly DateOnly Monday = new(2026, 11, 2);

    [Fact]
    public void Two_months_or_less_are_shown_per_day_with_every_action_on_every_day()
    {
        var buckets = AuditActivityBuckets.For([new(Monday, "read", 2), new(Monday.AddDays(3), "login", 1), new(Monday.AddDays(3), "read", 4)]);

        Assert.Equal("day", buckets.Unit);
        Assert.Equal(["11-02", "11-05"], buckets.Labels);
        Assert.Equal(["login", "read"], buckets.Series.Select(s => s.Action));
        Assert.Equal([0, 1], buckets.Series[0].Counts);
        Assert.Equal([2, 4], buckets.Series[1].Counts);
    }

    [Fact]
    public void Longer_spans_are_summed_per_week_from_monday_then_per_month()
    {
        var weekly = AuditActivityBuckets.For([
            new(Monday, "read", 1), new(Monday.AddDays(6), "read", 2), new(Monday.AddDays(7), "read", 4),
            new(Monday.AddDays(AuditActivityBuckets.DailyUpToDays + 1), "read", 8)]);
        Assert.Equal("week", weekly.Unit);
        Assert.Equal([3, 4, 8], Assert.Single(weekly.Series).Counts);
        Assert.Equal("11-02", weekly.Labels[0]);

        var monthly = AuditActivityBuckets.For([new(Monday, "read", 1), new(Monday.AddDays(28), "read", 2), new(Monday.AddDays(AuditActivityBuckets.WeeklyUpToDays + 1), "read", 4)]);
        Assert.Equal("month", monthly.Unit);
        Assert.Equal(["2026-11", "2028-11"], monthly.Labels);
        Assert.Equal([3, 4], Assert.Single(monthly.Series).Counts);
    }

    [Fact]
    public void No_activity_gives_no_columns() => Assert.Empty(AuditActivityBuckets.For([]).Labels);
}
