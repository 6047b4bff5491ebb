using TenantPortal.Components;

namespace TenantPortal.Tests.Components;

public sealed class DebouncerTests
{
    [Fact]
    public async Task Quick_calls_run_only_the_last_one_once_input_pauses()
    {
        using var debouncer = new Debouncer(TimeSpan.FromMilliseconds(200));
        var runs = new List<int>();

        var calls = Enumerable.Range(1, 5).Select(i => debouncer.RunAsync(() => { runs.Add(i); return Task.CompletedTask; })).ToList();
        await Task.WhenAll(calls);

        Assert.Equal([5], runs);
    }

    [Fact]
    public async Task Calls_apart_by_more_than_the_pause_each_run()
    {
        using var debouncer = new Debouncer(TimeSpan.FromMilliseconds(20));
        var runs = 0;

        await debouncer.RunAsync(() => { runs++; return Task.CompletedTask; });
        await debouncer.RunAsync(() => { runs++; return Task.CompletedTask; });

        Assert.Equal(2, runs);
    }
}
