using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace TenantPortal.Features.AgentApi;

/// <summary>What a write endpoint answers: a problem (nothing is kept), or a status with its body and location.</summary>
internal sealed record WriteOutcome(ApiProblem? Problem, int Status = 0, object? Body = null, string? Location = null)
{
    public static WriteOutcome Created(object body, string location) => new(null, StatusCodes.Status201Created, body, location);

    public static implicit operator WriteOutcome(ApiProblem problem) => new(problem);
}

/// <summary>
/// <c>Idempotency-Key</c> on the agent API's POSTs: a repeat with the same key, method, path and body within 24 hours
/// answers the first response again (same status, body and location; <c>Idempotent-Replayed: true</c>) without a
/// second write; the same key with anything else is a 422. The write and the record of its response commit together,
/// and concurrent repeats wait for the first (app.claim_idempotent_request), so twenty at once still write one row.
/// </summary>
internal static class Idempotency
{
    public const string Header = "Idempotency-Key";

    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <param name="atomic">The write takes several statements: without an Idempotency-Key it runs in a transaction too
    /// (with one it always does), and a problem it answers undoes what it wrote.</param>
    public static async Task<IResult> RunAsync(HttpContext http, AgentData data, JsonInput input,
        Func<NpgsqlConnection, CancellationToken, Task<WriteOutcome>> write, bool atomic = false)
    {
        var headers = http.Request.Headers[Header];
        if (headers.Count > 1 || (headers.Count == 1 && !IsValidKey(headers[0])))
        {
            return ApiProblem.Invalid(Header, "Send one Idempotency-Key of 1–255 visible ASCII characters (a UUID is a good choice).");
        }

        var key = headers.Count == 1 ? headers[0] : null;
        return await data.RunAsync(async (connection, ct) =>
        {
            if (key is null && !atomic)
            {
                return Answer(await write(connection, ct), replayed: false);
            }

            if (key is null)
            {
                await using var scope = await connection.BeginTransactionAsync(ct);
                var written = await write(connection, ct);
                if (written.Problem is null)
                {
                    await scope.CommitAsync(ct);
                }

                return Answer(written, replayed: false); // a problem rolls back with the transaction's disposal
            }

            await using var transaction = await connection.BeginTransactionAsync(ct);
            var first = await AgentData.ReadOneAsync(AgentData.Command(connection,
                "SELECT claimed, same_request, status, location, body FROM app.claim_idempotent_request($1, $2)", key, RequestHash(http, input)),
                reader => new Claim(reader.GetBoolean(0), reader.GetBoolean(1), reader.GetFieldValue<int?>(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)), ct);
            if (first is { Claimed: false })
            {
                await transaction.CommitAsync(ct);
                return first.Same ? Stored(first.Status ?? StatusCodes.Status200OK, first.Body ?? "{}", first.Location, replayed: true)
                    : ApiProblem.IdempotencyKeyReused();
            }

            var outcome = await write(connection, ct);
            if (outcome.Problem is not null)
            {
                await transaction.RollbackAsync(ct); // the key stays free: a corrected repeat may use it
                return outcome.Problem;
            }

            var json = BodyJson(outcome);
            await using (var finish = AgentData.Command(connection, "SELECT app.finish_idempotent_request($1, $2, $3, $4)",
                key, outcome.Status, AgentData.Typed(outcome.Location, NpgsqlTypes.NpgsqlDbType.Text), json))
            {
                await finish.ExecuteNonQueryAsync(ct);
            }

            await transaction.CommitAsync(ct);
            return Stored(outcome.Status, json, outcome.Location, replayed: false);
        }, http.RequestAborted);
    }

    private sealed record Claim(bool Claimed, bool Same, int? Status, string? Location, string? Body);

    private static bool IsValidKey(string? key) => key is { Length: >= 1 and <= 255 } && key.All(c => c is >= '!' and <= '~');

    private static byte[] RequestHash(HttpContext http, JsonInput input) =>
        SHA256.HashData([.. Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n"), .. input.BodyHash]);

    private static IResult Answer(WriteOutcome outcome, bool replayed) => outcome.Problem is { } problem ? problem
        : Stored(outcome.Status, BodyJson(outcome), outcome.Location, replayed);

    private static string BodyJson(WriteOutcome outcome) => JsonSerializer.Serialize(outcome.Body, outcome.Body!.GetType(), ApiProblem.Json);

    private static StoredResponse Stored(int status, string json, string? location, bool replayed) => new(status, json, location, replayed);

    private sealed class StoredResponse(int status, string json, string? location, bool replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            if (location is not null)
            {
                response.Headers.Location = location;
            }

            if (replayed)
            {
                response.Headers[ReplayedHeader] = "true";
            }

            await response.WriteAsync(json, Encoding.UTF8, httpContext.RequestAborted);
        }
    }
}
