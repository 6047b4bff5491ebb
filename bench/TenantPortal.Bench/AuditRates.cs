using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TenantPortal.Hosting;
using TenantPortal.Features.AuditLog;
using TenantPortal.Tenancy;

namespace TenantPortal.Bench;

/// <summary>
/// The audit log's bulk work at 1.6 M events in one chain, through the app's own services as the organization's owner:
/// chain verification (events per second; a 2,010-event chain in the same run as the baseline) and export as CSV
/// (rows per second and the managed heap's peak above its start, for about 10,000 rows and for the whole chain).
/// </summary>
internal static class AuditRates
{
    public sealed record Rate(string Name, long Rows, double Seconds, double RowsPerSecond, double PeakHeapMegabytes);

    /// <summary>Measures as <paramref name="owner"/> (the big chain) and <paramref name="smallOwner"/> (the baseline chain).</summary>
    public static async Task<List<Rate>> MeasureAsync(string appConnection, Guid owner, Guid smallOwner)
    {
        var services = new ServiceCollection();
        services.AddPortalDbContext(appConnection);
        services.AddScoped<AuditLogService>();
        services.AddSingleton(TimeProvider.System);
        await using var provider = services.BuildServiceProvider();

        var small = await AuditOfAsync(provider, smallOwner);
        var big = await AuditOfAsync(provider, owner);
        // The exporter's first use (query compilation, JIT) is not what is measured.
        await ExportAsync(small, new AuditFilter());
        // An export of about ten thousand rows: two days of the big chain (an event every 15 seconds), long ago, where
        // no other organization has events (the generated small chains are all recent, which would skew the estimate).
        var twoDays = new AuditFilter { From = DateTime.UtcNow.Date.AddDays(-200), To = DateTime.UtcNow.Date.AddDays(-199) };
        return
        [
            await TimeAsync($"Verify a chain of {IsolationData.OtherChainEvents:N0} events (baseline)", async () => (await small.VerifyAsync()).Events),
            await TimeAsync($"Verify the chain of {IsolationData.BigChainEvents:N0} events", async () => (await big.VerifyAsync()).Events),
            await TimeAsync("Export CSV, two days (about 10,000 rows)", () => ExportAsync(big, twoDays)),
            await TimeAsync($"Export CSV, the whole chain ({IsolationData.BigChainEvents / 1_000_000.0:0.#} M rows)", () => ExportAsync(big, new AuditFilter())),
        ];
    }

    private static async Task<AuditLogService> AuditOfAsync(IServiceProvider provider, Guid owner)
    {
        var scope = provider.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TenantSession>().InitializeAsync(Measure.Principal(owner));
        return scope.ServiceProvider.GetRequiredService<AuditLogService>();
    }

    private static async Task<long> ExportAsync(AuditLogService audit, AuditFilter filter)
    {
        await using var sink = new CountingStream();
        return await AuditExport.WriteAsync(AuditExport.Csv, audit.StreamAsync(filter), sink, CancellationToken.None);
    }

    private static async Task<Rate> TimeAsync(string name, Func<Task<long>> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var start = GC.GetTotalMemory(forceFullCollection: true);
        var peak = start;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(20);
            }
        });
        var clock = Stopwatch.StartNew();
        var rows = await work();
        clock.Stop();
        await sampling.CancelAsync();
        await sampler;
        var rate = new Rate(name, rows, clock.Elapsed.TotalSeconds, rows / clock.Elapsed.TotalSeconds, (peak - start) / 1024.0 / 1024.0);
        Console.WriteLine($"{name}: {rows:N0} rows in {rate.Seconds:F1} s = {rate.RowsPerSecond:N0}/s, heap peak +{rate.PeakHeapMegabytes:F1} MB");
        return rate;
    }

    /// <summary>A stream that keeps nothing: what the export writes is counted and dropped.</summary>
    private sealed class CountingStream : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position { get => Written; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
