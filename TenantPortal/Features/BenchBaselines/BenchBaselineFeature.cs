using Npgsql;
using TenantPortal.Hosting;

namespace TenantPortal.Features.BenchBaselines;

/// <summary>
/// The baselines of the agent API benchmark (bench/, <c>agent-api</c>): two endpoints that do one database round trip
/// each without authentication, context or audit — a read (<c>GET /bench/read</c>) and an insert of the posted
/// content into the bench's own table (<c>POST /bench/write</c>) — on the same server, client and concurrency as the
/// API they are compared with. Mapped only when the setting <c>Bench:Baselines</c> is true, which only the benchmark
/// sets: they answer anyone.
/// </summary>
internal sealed class BenchBaselineFeature : IPortalFeature
{
    public const string Setting = "Bench:Baselines";

    public void AddServices(IServiceCollection services, FeatureSettings settings)
    {
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        if (!endpoints.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<bool>(Setting))
        {
            return;
        }

        // A pool of its own: plain connections of the request role, no reset and no context entry.
        var source = NpgsqlDataSource.Create(endpoints.ServiceProvider.GetRequiredService<PortalDatabaseOptions>().ConnectionString);
        endpoints.MapGet("/bench/read", async (CancellationToken ct) =>
        {
            await using var command = source.CreateCommand("SELECT now()");
            return TypedResults.Json(new BenchAnswer((DateTime)(await command.ExecuteScalarAsync(ct))!));
        });
        endpoints.MapPost("/bench/write", async (BenchWrite body, CancellationToken ct) =>
        {
            await using var command = source.CreateCommand("INSERT INTO bench_baseline (content) VALUES ($1) RETURNING created_at");
            command.Parameters.Add(new NpgsqlParameter { Value = body.Content ?? "" });
            return TypedResults.Json(new BenchAnswer((DateTime)(await command.ExecuteScalarAsync(ct))!), statusCode: StatusCodes.Status201Created);
        }).DisableAntiforgery();
    }
}

internal sealed record BenchWrite(string? Content);

internal sealed record BenchAnswer(DateTime At);
