using System.Text.Json;
using Microsoft.AspNetCore.Mvc;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// The agent API's errors: <c>application/problem+json</c> (RFC 9457) with a stable <c>type</c> per cause, so an agent
/// can branch on it. Types are relative references under <see cref="TypeBase"/>; the README lists those an agent meets.
/// </summary>
internal sealed class ApiProblem(int status, string name, string title, string detail) : IResult
{
    public const string TypeBase = "/api/problems/";

    /// <summary>The API's JSON: camelCase, and text as written (no \u0027 for an apostrophe; the media type is JSON, never HTML).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int Status => status;

    public string Type => TypeBase + name;

    /// <summary>Field errors (400), by the JSON name of the field or query parameter.</summary>
    public IDictionary<string, string[]>? Errors { get; init; }

    /// <summary>Members beside the standard ones (e.g. the missing capability).</summary>
    public Dictionary<string, object?> Extensions { get; } = [];

    /// <summary>Headers the cause requires (WWW-Authenticate, Retry-After, Allow).</summary>
    public Dictionary<string, string> Headers { get; } = [];

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        foreach (var (header, value) in Headers)
        {
            response.Headers[header] = value;
        }

        var problem = Errors is null ? new ProblemDetails() : new HttpValidationProblemDetails(Errors);
        problem.Type = Type;
        problem.Title = title;
        problem.Status = status;
        problem.Detail = detail;
        foreach (var (key, value) in Extensions)
        {
            problem.Extensions[key] = value;
        }

        await response.WriteAsJsonAsync(problem, problem.GetType(), Json, "application/problem+json", httpContext.RequestAborted);
    }

    /// <summary>Any key that cannot be used — missing, malformed, unknown, revoked, expired, disabled, or its agent or project not active. The body does not say which.</summary>
    public static ApiProblem InvalidToken() => new(401, "invalid-token", "The API key is not valid.",
        "Send a valid, active agent key as 'Authorization: Bearer <key>'.")
    {
        Headers = { ["WWW-Authenticate"] = "Bearer error=\"invalid_token\"" },
    };

    public static ApiProblem MissingCapability(string capability) => new(403, "missing-capability", "The API key lacks a capability.",
        $"This key does not have the '{capability}' capability; an owner or admin of the project can issue a key that has it.")
    {
        Extensions = { ["capability"] = capability },
    };

    public static ApiProblem NotAParticipant() => new(403, "not-a-participant", "Not a participant of the meeting.",
        "Only the agents the meeting's organizer invited post in it.");

    public static ApiProblem NotTheOrganizer() => new(403, "not-the-organizer", "Not the meeting's organizer.",
        "Only the agent that opened the meeting closes it.");

    public static ApiProblem MeetingClosed() => new(409, "meeting-closed", "The meeting is closed.",
        "Nobody posts in a meeting once its organizer has closed it.");

    public static ApiProblem NotFound(string what = "resource") => new(404, "not-found", "Not found.",
        $"No such {what} in this key's project.");

    public static ApiProblem Invalid(IDictionary<string, string[]> errors) => new(400, "invalid-request", "The request has invalid fields.",
        "See 'errors' for what to change in each field.")
    {
        Errors = errors,
    };

    public static ApiProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static ApiProblem InvalidJson(string detail) => new(400, "invalid-json", "The body is not a JSON object.", detail);

    public static ApiProblem UnsupportedMediaType() => new(415, "unsupported-media-type", "The body must be JSON.",
        "Send the body as 'Content-Type: application/json' (UTF-8).");

    public static ApiProblem TooLarge() => new(413, "payload-too-large", "The body is too large.",
        $"Bodies may be at most {JsonInput.MaxBodyBytes / 1024 / 1024} MiB.");

    public static ApiProblem RateLimited(int limit, int retryAfterSeconds) => new(429, "rate-limited", "Too many requests.",
        $"This key may make {limit} requests a minute; try again in {retryAfterSeconds} s. An owner or admin of the project can raise the key's limit.")
    {
        Headers = { ["Retry-After"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    public static ApiProblem IdempotencyKeyReused() => new(422, "idempotency-key-reused", "The Idempotency-Key was used for another request.",
        "This key's earlier request with the same Idempotency-Key had another method, path or body; use a new Idempotency-Key for a new request.");

    public static ApiProblem DatabaseUnavailable() => new(503, "service-unavailable", "The service is briefly unavailable.",
        "The database could not be reached; nothing was changed. Try again shortly.")
    {
        Headers = { ["Retry-After"] = "5" },
    };

    public static ApiProblem Internal() => new(500, "internal-error", "Something went wrong on our side.",
        "The request could not be completed; nothing was changed.");

    /// <summary>
    /// The 400 for a table's refusal of a value the endpoint did not check first (a payload larger once stored, a reply
    /// to no message): under the request field the constraint checks, as the agent API names it ("body" for any other).
    /// </summary>
    public static ApiProblem ForConstraint(string? constraint)
    {
        if (constraint == "meeting_messages_meeting_open")
        {
            return MeetingClosed(); // closed between the endpoint's check and the insert
        }

        var storedSize = $"Must be a JSON object of at most {JsonInput.MaxObjectBytes / 1024} KiB as stored.";
        var (field, message) = constraint switch
        {
            "decisions_payload_size" => ("payload", storedSize),
            "agent_messages_metadata_size" => ("metadata", storedSize),
            "fk_agent_messages_reply" => ("replyTo", "There is no message with this id in this project."),
            "decisions_title_format" => ("title", null),
            "decisions_description_length" => ("description", null),
            "decisions_options_valid" => ("options", null),
            "agent_messages_content_length" => ("content", null),
            "agent_messages_type_format" => ("messageType", null),
            "agent_messages_correlation_format" => ("correlationId", null),
            "meetings_title_format" => ("title", null),
            "meetings_agenda_length" => ("agenda", null),
            "meeting_messages_content_length" => ("content", null),
            _ => ("body", null),
        };
        return Invalid(field, message ?? "This value is not accepted; see the API reference for its rules.");
    }

    /// <summary>A bare status from routing or the server (404 for an unknown path, 405, 400 for a malformed request).</summary>
    public static ApiProblem ForStatus(int status) => status switch
    {
        401 => InvalidToken(),
        404 => new(404, "not-found", "Not found.", "There is no such endpoint; see /openapi/v1.json for the agent API."),
        405 => new(405, "method-not-allowed", "Method not allowed.", "This endpoint does not accept that HTTP method."),
        413 => TooLarge(),
        415 => UnsupportedMediaType(),
        _ when status >= 500 => Internal(),
        _ => new(status, "bad-request", "The request cannot be processed.", "The request is malformed."),
    };
}
