using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>Class fixture: a fresh database and the app running on it as its own process, called over real HTTP.</summary>
public sealed class ApiApp(PostgresCluster cluster) : IAsyncLifetime
{
    private TestDatabase? database;
    private AppProcess? app;

    public TestDatabase Database => database ?? throw new InvalidOperationException("The database is not ready.");

    public AppProcess App => app ?? throw new InvalidOperationException("The app is not running.");

    public PostgresCluster Cluster => cluster;

    public async ValueTask InitializeAsync()
    {
        database = await cluster.CreateDatabaseAsync("api");
        app = await AppProcess.StartHealthyAsync(database);
    }

    /// <summary>A client of the app; with <paramref name="key"/>, every request carries it as its bearer token.</summary>
    public HttpClient Client(string? key = null, AppProcess? instance = null)
    {
        var client = new HttpClient { BaseAddress = (instance ?? App).BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        if (database is not null)
        {
            await cluster.DropDatabaseAsync(database.Name);
        }
    }
}

/// <summary>Helpers for calling the agent API and reading its answers.</summary>
public static class Api
{
    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static StringContent RawJson(string body) => new(body, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the status and that the body is a problem of <paramref name="type"/> (its last segment); returns the body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement.Clone();
        Assert.Equal("/api/problems/" + type, body.GetProperty("type").GetString());
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        return body;
    }
}
