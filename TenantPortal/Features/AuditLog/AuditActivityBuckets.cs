using System.Globalization;

namespace TenantPortal.Features.AuditLog;

/// <summary>
/// The chart's columns: a column per day over two months at most, per week (from Monday) up to two years, per month
/// beyond — a readable number of columns however long the log. Every action's series has a count for every column,
/// so the stacks line up.
/// </summary>
public sealed record AuditActivityBuckets(string Unit, IReadOnlyList<string> Labels, IReadOnlyList<(string Action, int[] Counts)> Series)
{
    public const int DailyUpToDays = 62;
    public const int WeeklyUpToDays = 730;

    public static AuditActivityBuckets For(IReadOnlyList<AuditActivity> activity)
    {
        if (activity.Count == 0)
        {
            return new("day", [], []);
        }

        var span = activity.Max(a => a.Day).DayNumber - activity.Min(a => a.Day).DayNumber;
        var (unit, start, label) = span <= DailyUpToDays
            ? ("day", (Func<DateOnly, DateOnly>)(d => d), "MM-dd")
            : span <= WeeklyUpToDays
                ? ("week", d => d.AddDays(-(((int)d.DayOfWeek + 6) % 7)), "MM-dd")
                : ("month", d => new DateOnly(d.Year, d.Month, 1), "yyyy-MM");
        var periods = activity.Select(a => start(a.Day)).Distinct().Order().ToList();
        var column = periods.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        var series = new SortedDictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var a in activity)
        {
            if (!series.TryGetValue(a.Action, out var counts))
            {
                series[a.Action] = counts = new int[periods.Count];
            }

            counts[column[start(a.Day)]] += a.Count;
        }

        return new(unit, periods.Select(p => p.ToString(label, CultureInfo.InvariantCulture)).ToList(), series.Select(s => (s.Key, s.Value)).ToList());
    }
}
