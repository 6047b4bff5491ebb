using Npgsql;
using TenantPortal.Hosting;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// Wakes requests waiting for a change, on whichever app instance the change happened: the database notifies
/// <c>portal_decisions</c> with a decision's id when its status change commits (app.signal_decision_change) and
/// <c>portal_feeds</c> with a project's id when its feed moves (app.signal_feed_change); every instance listens on one
/// connection of its own. A waiter reads again in its own context, so a notification tells it only "look again".
/// While the listener is reconnecting, every waiter is woken to look again.
/// </summary>
internal sealed partial class ChangeSignals(IServiceProvider services, ILogger<ChangeSignals> log) : BackgroundService
{
    public static readonly string[] Channels = ["portal_decisions", "portal_feeds"];

    private readonly object gate = new();
    private readonly Dictionary<Guid, Watched> watches = [];

    /// <summary>A signal that fires when the decision or project <paramref name="id"/> may have changed; dispose it when done waiting.</summary>
    public Lease Watch(Guid id)
    {
        lock (gate)
        {
            if (!watches.TryGetValue(id, out var watch))
            {
                watches[id] = watch = new Watched();
            }

            watch.Waiters++;
            return new Lease(this, id, watch);
        }
    }

    private void Release(Guid id, Watched watch)
    {
        lock (gate)
        {
            if (--watch.Waiters == 0 && watches.TryGetValue(id, out var current) && current == watch)
            {
                watches.Remove(id);
            }
        }
    }

    private void Fire(Guid id)
    {
        Watched? watch;
        lock (gate)
        {
            watches.Remove(id, out watch);
        }

        watch?.Changed.TrySetResult();
    }

    private void FireAll()
    {
        List<Watched> all;
        lock (gate)
        {
            all = [.. watches.Values];
            watches.Clear();
        }

        foreach (var watch in all)
        {
            watch.Changed.TrySetResult();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = services.GetService<PortalDatabaseOptions>();
        if (options is null)
        {
            return; // no database configured (component tests): waits end at their timeout
        }

        // A connection of its own, outside the request pool: it only listens, and holds no context.
        var connectionString = new NpgsqlConnectionStringBuilder(options.ConnectionString) { Pooling = false, KeepAlive = 30 }.ConnectionString;
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, e) =>
                {
                    if (Guid.TryParse(e.Payload, out var id))
                    {
                        Fire(id);
                    }
                };
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand(string.Concat(Channels.Select(c => $"LISTEN {c};")), connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever changed while nobody listened is read again by its waiters.
                FireAll();
                delay = TimeSpan.FromSeconds(1);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                LogListenFailure(log, ex, delay);
                FireAll();
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening for changes failed; retrying in {Delay}.")]
    private static partial void LogListenFailure(ILogger logger, Exception exception, TimeSpan delay);

    internal sealed class Watched
    {
        public TaskCompletionSource Changed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Waiters { get; set; }
    }

    /// <summary>One waiter's hold on a decision's signal.</summary>
    public sealed class Lease(ChangeSignals owner, Guid id, Watched watch) : IDisposable
    {
        public Task Changed => watch.Changed.Task;

        /// <summary>Waits for the signal, at most <paramref name="timeout"/>; true when signalled. The timer ends with the wait.</summary>
        public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var woke = await Task.WhenAny(Changed, Task.Delay(timeout, time, idle.Token));
            await idle.CancelAsync();
            return woke == Changed;
        }

        public void Dispose() => owner.Release(id, watch);
    }
}
