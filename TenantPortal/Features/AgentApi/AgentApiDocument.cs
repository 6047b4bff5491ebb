using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TenantPortal.Features.AgentApi;

/// <summary>A query parameter an endpoint reads itself (by <see cref="QueryInput"/>), declared for the API's description.</summary>
internal sealed record ApiQueryParameter(string Name, JsonSchemaType Type, string Description);

/// <summary>A problem an endpoint answers besides those every endpoint of its kind can give, declared for the API's description.</summary>
internal sealed record ApiProblemResponse(int Status, string Description);

/// <summary>
/// The agent API's OpenAPI document (<c>/openapi/v1.json</c>) and its browsable reference (<c>/api/reference/v1</c>):
/// only the <c>/api</c> endpoints, the bearer scheme, each operation's query parameters, the Idempotency-Key header and
/// the problem responses every operation can give.
/// </summary>
internal static class AgentApiDocument
{
    public const string Name = "v1";

    public const string ReferencePath = "/api/reference";

    public static void Configure(OpenApiOptions options)
    {
        options.ShouldInclude = description => description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "TenantPortal agent API",
                Version = "v1",
                Description = "Agents call it with their project-bound API key (`Authorization: Bearer sk_agent_v1_…`). Every request runs inside "
                    + "the key's project with the key's capabilities; anything outside it answers 404. Errors are `application/problem+json` with a "
                    + "stable `type` (`/api/problems/<cause>`). Each key may make a number of requests a minute (`RateLimit-*` headers; 429 above).",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "sk_agent_v1_<project>_<agent>_<secret><checksum>",
                Description = "The agent's API key, shown once when an owner or admin creates it.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            operation.Parameters ??= [];
            foreach (var query in metadata.OfType<ApiQueryParameter>())
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = query.Name, In = ParameterLocation.Query, Description = query.Description, Schema = new OpenApiSchema { Type = query.Type },
                });
            }

            // A POST with a body (every one but a command such as closing a meeting).
            var post = context.Description.HttpMethod == "POST" && context.Description.SupportedRequestFormats.Count > 0;
            if (post)
            {
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = Idempotency.Header, In = ParameterLocation.Header, Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
                    Description = "Makes the POST safe to repeat: within 24 hours a repeat with the same body answers the first response again.",
                });
            }

            var problem = await context.GetOrCreateSchemaAsync(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails), null, cancellationToken);
            operation.Responses ??= [];
            void Problem(int status, string description)
            {
                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = description,
                    Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = problem } },
                };
            }

            Problem(401, "invalid-token: the key is missing, malformed, unknown, revoked, expired or disabled, or its agent or project is not active.");
            Problem(429, "rate-limited: the key's requests this minute are used up; wait Retry-After seconds.");
            Problem(503, "service-unavailable: the database could not be reached; nothing was changed.");
            if (metadata.OfType<RequiredCapability>().LastOrDefault() is { } capability)
            {
                Problem(403, $"missing-capability: the key lacks '{capability.Name}'.");
            }

            if (context.Description.RelativePath?.Contains('{', StringComparison.Ordinal) == true)
            {
                Problem(404, "not-found: nothing with this id in the key's project.");
            }

            if (post || metadata.OfType<ApiQueryParameter>().Any())
            {
                Problem(400, "invalid-request (errors by field) or invalid-json.");
            }

            foreach (var extra in metadata.OfType<ApiProblemResponse>())
            {
                var status = extra.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var existing = operation.Responses.TryGetValue(status, out var response) ? response.Description : null;
                Problem(extra.Status, existing is null ? extra.Description : $"{existing} Or {extra.Description}");
            }

            if (post)
            {
                Problem(413, "payload-too-large: the body is over 1 MiB.");
                Problem(415, "unsupported-media-type: the body must be application/json.");
                Problem(422, "idempotency-key-reused: the Idempotency-Key was used for another request.");
            }
        });
    }
}
