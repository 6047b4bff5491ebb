using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using TenantPortal.Features.ApiKeys;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AgentApi;

/// <summary>The capability an endpoint of the agent API needs (endpoint metadata, checked by <see cref="AgentApiPipeline.Authenticate"/>).</summary>
internal sealed record RequiredCapability(string Name);

/// <summary>
/// What every agent API request goes through: errors as problem+json whatever their source (a handler, routing, the
/// server), a 1 MiB body limit, and authentication with the agent's key before any handler runs.
/// </summary>
internal static partial class AgentApiPipeline
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Agent API request {Method} {Path} failed.")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path);

    public const string Prefix = "/api";

    /// <summary>
    /// For paths under /api: the body limit, exceptions turned into problems (bad input never becomes a 500), and bare
    /// error statuses (unknown path, wrong method) given a problem body, so the portal's HTML error page never answers
    /// an agent. Goes after the status-code pages, which then find a body and leave the response alone.
    /// </summary>
    public static IApplicationBuilder UseAgentApi(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Prefix), api => api.Use(HandleAsync));

    private static async Task HandleAsync(HttpContext http, RequestDelegate next)
    {
        // Bodies above 1 MiB are refused by JsonInput as it reads; the server's own limit sits above that, so it can
        // still drain a somewhat larger body after the 413 and the client reads the answer instead of a reset.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = 4 * JsonInput.MaxBodyBytes;
        }

        try
        {
            await next(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away
        }
        catch (Exception ex)
        {
            var problem = Classify(ex);
            if (problem.Status >= 500)
            {
                LogFailure(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentApiPipeline)),
                    ex, http.Request.Method, http.Request.Path);
            }

            if (http.Response.HasStarted)
            {
                http.Abort();
                return;
            }

            http.Response.Clear();
            await problem.ExecuteAsync(http);
            return;
        }

        var response = http.Response;
        if (!response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType))
        {
            await ApiProblem.ForStatus(response.StatusCode).ExecuteAsync(http);
        }
    }

    /// <summary>What an exception means to the agent: its own mistake (4xx), a database that is away (503), or ours (500).</summary>
    private static ApiProblem Classify(Exception ex) => ex switch
    {
        AgentKeyRefusedException => ApiProblem.InvalidToken(),
        BadHttpRequestException bad => ApiProblem.ForStatus(bad.StatusCode),
        // A value the database could not take (an invalid escape in JSON, a number out of range) or a rule of a table
        // the endpoint did not check first (a payload larger once stored): the input's fault, named by its field.
        PostgresException { SqlState: var state } when state.StartsWith("22", StringComparison.Ordinal) =>
            ApiProblem.Invalid("body", "A value in the request cannot be stored as given."),
        PostgresException { SqlState: PostgresErrorCodes.CheckViolation or PostgresErrorCodes.NotNullViolation or PostgresErrorCodes.ForeignKeyViolation } refused =>
            ApiProblem.ForConstraint(refused.ConstraintName),
        PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } => new ApiProblem(403, "forbidden", "Not allowed.",
            "The database refused this change for this key."),
        NpgsqlException { IsTransient: true } or TimeoutException => ApiProblem.DatabaseUnavailable(),
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException or TimeoutException } => ApiProblem.DatabaseUnavailable(),
        _ => ApiProblem.Internal(),
    };

    /// <summary>
    /// Endpoint filter of the /api/v1 group: <c>Authorization: Bearer &lt;key&gt;</c>, verified by the database, makes
    /// the request the key's agent's (every connection it opens enters that context); the endpoint's capability is
    /// checked next. 401 and 403 happen here, before any handler reads a body.
    /// </summary>
    public static async ValueTask<object?> Authenticate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var tenant = http.RequestServices.GetRequiredService<TenantContext>();
        tenant.ClientIp = http.Connection.RemoteIpAddress?.ToString();
        tenant.UserAgent = http.Request.Headers.UserAgent.ToString();

        var key = BearerKey(http.Request);
        var (agent, allowance) = key is null ? (null, null)
            : await http.RequestServices.GetRequiredService<AgentData>().AdmitAsync(key, tenant.ClientIp, tenant.UserAgent, http.RequestAborted);
        if (agent is null)
        {
            return ApiProblem.InvalidToken();
        }

        if (allowance is not null)
        {
            // On every response of the request, whatever writes it (the problem pipeline clears headers, not callbacks).
            http.Response.OnStarting(() =>
            {
                http.Response.Headers["RateLimit-Limit"] = allowance.Limit.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["RateLimit-Remaining"] = allowance.Remaining.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["RateLimit-Reset"] = allowance.ResetSeconds.ToString(CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            if (!allowance.Allowed)
            {
                return ApiProblem.RateLimited(allowance.Limit, allowance.ResetSeconds);
            }
        }

        tenant.EnterAgent(key!, agent);
        if (http.GetEndpoint()?.Metadata.GetMetadata<RequiredCapability>() is { } required && !agent.Capabilities.Contains(required.Name))
        {
            return ApiProblem.MissingCapability(required.Name);
        }

        return await next(context);
    }

    /// <summary>The key of a single <c>Authorization: Bearer</c> header whose form is a key's; null otherwise.</summary>
    private static string? BearerKey(HttpRequest request)
    {
        var headers = request.Headers.Authorization;
        if (headers.Count != 1 || headers[0] is not string value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var key = value["Bearer ".Length..].Trim();
        return ApiKeyFormat.TryParse(key, out _) ? key : null;
    }
}
