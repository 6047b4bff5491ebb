using System.Net;
using System.Text.Json;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>The agent API describes itself: an OpenAPI document of every endpoint, its errors and the bearer scheme, and a page to browse it.</summary>
public sealed class AgentApiDocumentTests(ApiApp api) : IClassFixture<ApiApp>
{
    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_its_errors_and_the_bearer_scheme()
    {
        using var client = api.Client();
        var ct = TestContext.Current.CancellationToken;

        using var response = await client.GetAsync("openapi/v1.json", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var root = document.RootElement;
        var paths = root.GetProperty("paths");
        Assert.Equal(
            ["/api/v1/decisions", "/api/v1/decisions/{id}", "/api/v1/events", "/api/v1/me", "/api/v1/meetings", "/api/v1/meetings/{id}",
             "/api/v1/meetings/{id}/close", "/api/v1/meetings/{id}/messages", "/api/v1/meetings/{id}/messages/{messageId}", "/api/v1/messages",
             "/api/v1/messages/{id}", "/api/v1/project"],
            paths.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)); // the portal's own pages are not in it
        var scheme = root.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(root.GetProperty("security")[0].TryGetProperty("bearer", out _));

        var operations = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => (Path: p.Name, Method: o.Name, Operation: o.Value))).ToList();
        Assert.Equal(16, operations.Count);
        foreach (var (path, method, operation) in operations)
        {
            var responses = operation.GetProperty("responses");
            foreach (var status in new[] { "401", "429" })
            {
                Assert.True(responses.TryGetProperty(status, out var problem), $"{method} {path} lacks {status}");
                Assert.True(problem.GetProperty("content").TryGetProperty("application/problem+json", out _));
            }

            Assert.True(operation.TryGetProperty("summary", out _), $"{method} {path} has no summary");
        }

        var post = paths.GetProperty("/api/v1/messages").GetProperty("post");
        Assert.Equal(["201", "400", "401", "403", "413", "415", "422", "429", "503"], post.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Contains(post.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var list = paths.GetProperty("/api/v1/messages").GetProperty("get");
        Assert.Equal(["after", "correlationId", "limit", "toMe"], list.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.True(paths.GetProperty("/api/v1/decisions/{id}").GetProperty("get").GetProperty("responses").TryGetProperty("404", out _));
        // Problems of one endpoint's own: who may post in a meeting, and a closed one; a command without a body takes none.
        var meetingPost = paths.GetProperty("/api/v1/meetings/{id}/messages").GetProperty("post").GetProperty("responses");
        Assert.Contains("not-a-participant", meetingPost.GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("missing-capability", meetingPost.GetProperty("403").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("meeting-closed", meetingPost.GetProperty("409").GetProperty("description").GetString(), StringComparison.Ordinal);
        var close = paths.GetProperty("/api/v1/meetings/{id}/close").GetProperty("post");
        Assert.Equal(["200", "401", "403", "404", "429", "503"], close.GetProperty("responses").EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.True(paths.GetProperty("/api/v1/project").GetProperty("get").GetProperty("responses").TryGetProperty("403", out _));
        Assert.False(paths.GetProperty("/api/v1/me").GetProperty("get").GetProperty("responses").TryGetProperty("403", out _)); // needs no capability
    }

    [Fact]
    public async Task The_reference_page_browses_the_document()
    {
        using var client = api.Client();
        using var page = await client.GetAsync("api/reference/v1", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("TenantPortal agent API", html, StringComparison.Ordinal);
        Assert.Contains("openapi/v1.json", html, StringComparison.Ordinal);
        // Its script is served by the app itself (no third-party CDN).
        Assert.Contains("src=\"scalar.js\"", html, StringComparison.Ordinal);
        using var script = await client.GetAsync("api/reference/scalar.js", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task The_benchmarks_unauthenticated_baselines_exist_only_where_the_setting_asks_for_them()
    {
        using var client = api.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("bench/read", TestContext.Current.CancellationToken)).StatusCode);

        // Positive control: an instance started with the setting answers there.
        await using var bench = await AppProcess.StartHealthyAsync(api.Database, new Dictionary<string, string?> { ["Bench__Baselines"] = "true" });
        using var benchClient = api.Client(instance: bench);
        Assert.Equal(HttpStatusCode.OK, (await benchClient.GetAsync("bench/read", TestContext.Current.CancellationToken)).StatusCode);
    }
}
