namespace TenantPortal.Components;

/// <summary>Runs an action once input has paused (typing in a search box): each call cancels the one before.</summary>
public sealed class Debouncer(TimeSpan pause) : IDisposable
{
    private CancellationTokenSource? pending;

    public Debouncer()
        : this(TimeSpan.FromMilliseconds(300))
    {
    }

    /// <summary>Waits for the pause, then runs <paramref name="action"/>, unless another call came in the meantime.</summary>
    public async Task RunAsync(Func<Task> action)
    {
        using var mine = new CancellationTokenSource();
        CancelQuietly(Interlocked.Exchange(ref pending, mine));
        try
        {
            await Task.Delay(pause, mine.Token);
        }
        catch (TaskCanceledException)
        {
            return;
        }
        finally
        {
            Interlocked.CompareExchange(ref pending, null, mine);
        }

        await action();
    }

    public void Dispose() => CancelQuietly(Interlocked.Exchange(ref pending, null));

    private static void CancelQuietly(CancellationTokenSource? source)
    {
        try
        {
            source?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Its wait had ended already.
        }
    }
}
