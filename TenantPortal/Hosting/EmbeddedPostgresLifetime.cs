namespace TenantPortal.Hosting;

/// <summary>Stops the embedded PostgreSQL when the app shuts down (registered first, so it stops last).</summary>
internal sealed class EmbeddedPostgresLifetime(EmbeddedPostgres embedded) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => embedded.StopAsync();
}
