using System.Net;
using System.Text;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>
/// Thousands of generated malformed requests against the agent API over real HTTP: every answer is a 4xx problem, none
/// a 5xx, the app logs no failure, and nothing in the database changes.
/// </summary>
public sealed class AgentApiFuzzTests(ApiApp api) : IClassFixture<ApiApp>
{
    private const int Requests = 2_400;

    [Fact]
    public async Task Malformed_requests_never_get_a_5xx_and_change_nothing()
    {
        var world = await TwoTenants.CreateAsync(api.Database);
        var decision = await Sql.ScalarAsync<Guid>(api.Database.AdminConnectionString, "SELECT id FROM decisions WHERE org_id = @a", ("a", world.OrgA));
        var meeting = await Sql.ScalarAsync<Guid>(api.Database.AdminConnectionString, "SELECT id FROM meetings WHERE org_id = @a", ("a", world.OrgA));
        // Room for every request, so each reaches the code it aims at instead of the rate limit.
        await Sql.ExecuteAsync(api.Database.AdminConnectionString, "UPDATE api_keys SET rate_limit_per_minute = 100000 WHERE org_id = @a", ("a", world.OrgA));
        var before = await StateAsync();
        var random = new Random(20261123);
        var requests = Enumerable.Range(0, Requests).Select(i => Generate(random, i, world.KeyA, decision, meeting)).ToList();
        using var client = api.Client();
        var statuses = new Dictionary<int, int>();
        var fives = new List<string>();
        var ct = TestContext.Current.CancellationToken;

        foreach (var batch in requests.Chunk(4))
        {
            var answers = await Task.WhenAll(batch.Select(async r =>
            {
                using var message = r.Build();
                try
                {
                    using var response = await client.SendAsync(message, ct);
                    var body = await response.Content.ReadAsStringAsync(ct);
                    return ((int)response.StatusCode, r.Description, body, response.Content.Headers.ContentType?.MediaType);
                }
                catch (HttpRequestException ex)
                {
                    return (0, r.Description, ex.Message, null);
                }
            }));
            foreach (var (status, description, body, mediaType) in answers)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                // Kestrel itself turns away what is not valid HTTP (an encoded NUL in the path) with a bare 400 before any
                // middleware runs; every other answer is the API's problem+json.
                var bareServerRejection = status == 400 && mediaType is null && body.Length == 0;
                if (status is >= 500 or 0 || status < 400 || (mediaType != "application/problem+json" && !bareServerRejection))
                {
                    fives.Add($"{status} {mediaType} for {description}: {body[..Math.Min(200, body.Length)]}");
                }
            }
        }

        Assert.True(fives.Count == 0, string.Join('\n', fives.Take(20)));
        Assert.Equal(Requests, statuses.Values.Sum());
        Assert.True(statuses.Keys.Count >= 5, string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))); // the generator reaches many causes
        Assert.Equal(before, await StateAsync());
        Assert.DoesNotContain("Agent API request", api.App.Output, StringComparison.Ordinal); // no failure logged

        // Positive control: the same client and key still work.
        using var good = api.Client(world.KeyA);
        Assert.Equal(HttpStatusCode.Created, (await good.PostAsync("api/v1/messages", Api.Json(new { messageType = "note", content = "still fine" }), ct)).StatusCode);
        Assert.NotEqual(before, await StateAsync());
    }

    private Task<string?> StateAsync() => Sql.ScalarAsync<string>(api.Database.AdminConnectionString, """
        SELECT concat_ws('|', (SELECT count(*) FROM agent_messages), (SELECT count(*) FROM decisions),
                              (SELECT md5(string_agg(d::text, ',' ORDER BY d.id)) FROM decisions d), (SELECT count(*) FROM audit_events),
                              (SELECT count(*) FROM app.idempotent_requests), (SELECT md5(string_agg(m::text, ',' ORDER BY m.id)) FROM meetings m),
                              (SELECT count(*) FROM meeting_participants), (SELECT count(*) FROM meeting_messages))
        """);

    private sealed record FuzzRequest(string Description, HttpMethod Method, string Path, byte[]? Body, string? ContentType, string? Key,
        IReadOnlyList<(string Name, string Value)> Headers)
    {
        public HttpRequestMessage Build()
        {
            var message = new HttpRequestMessage(Method, Path);
            if (Body is not null)
            {
                message.Content = new ByteArrayContent(Body);
                if (ContentType is not null)
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
                }
            }

            if (Key is not null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Key);
            }

            foreach (var (name, value) in Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            return message;
        }
    }

    /// <summary>A write endpoint: its path ({1}: a meeting's id), the fields of a valid body, its fields, and a body start that makes any body invalid.</summary>
    private sealed record Write(string Path, string Valid, string[] Fields, string Broken);

    private static readonly Write[] Writes =
    [
        new("api/v1/messages", "\"messageType\":\"note\",\"content\":\"x\"", ["messageType", "content", "toAgent", "correlationId", "replyTo", "metadata"],
            "\"messageType\":\"Bad Type\""),
        new("api/v1/decisions", "\"title\":\"t\",\"options\":[\"a\"]", ["title", "description", "options", "deadline", "payload"], "\"title\":\"\""),
        new("api/v1/meetings", "\"title\":\"t\",\"participants\":[\"greeter\"]", ["title", "agenda", "participants", "scheduledAt"], "\"title\":\"\""),
        // Any content of one character or more is valid, so the broken start is an unknown field.
        new("api/v1/meetings/{1}/messages", "\"content\":\"x\"", ["content"], "\"unknown\":1"),
    ];

    private static readonly string[] BadValues =
    [
        "null", "true", "0", "-1", "1e400", "-1e400", "123456789012345678901234567890", "[]", "{}", "[[[[[[]]]]]]", "\"\"", "\" \"",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"a\\u0000b\"", "\"\\u001f\"", "\"" + new string('x', 300) + "\"", "\"../../etc/passwd\"",
        "\"Robert'); DROP TABLE agent_messages;--\"", "\"%00\"", "{\"$ne\":null}", "[\"a\",\"a\"]", "[1,2,3]", "\"2026-13-45T99:99:99Z\"",
    ];

    private static readonly string[] MediaTypes =
    [
        "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/x-www-form-urlencoded",
        "application/json; charset=utf-16", "*/*", "", "application/jsonx",
    ];

    private static readonly string[] Paths =
    [
        "api/v1/decisions/..%2F..%2Fetc%2Fpasswd", "api/v1/messages/%00", "api/v1/decisions/%E2%80%AE", "api/v1/messages/" + new string('a', 2000),
        "api/v1/decisions/00000000-0000-0000-0000-000000000000", "api/v1/decisions/{0}?waitSeconds=abc", "api/v1/decisions/{0}?waitSeconds=0",
        "api/v1/decisions/{0}?waitSeconds=999999999999", "api/v1/messages?limit=-5", "api/v1/messages?after=99999999999999999999",
        "api/v1/messages?toMe=maybe", "api/v1/messages?correlationId=%00", "api/v1/decisions?status=%27%20OR%201=1", "api/v1/decisions?limit=1e3",
        "api/v2/me", "api/v1/decisions?status=pending&status=approved", "api/v1/me/%ZZ", "api/v1/messages/%C0%AF",
        "api/v1/meetings/..%2Fclose", "api/v1/meetings/{1}/messages?after=-1", "api/v1/meetings?mine=yes", "api/v1/meetings/{1}/messages/%00",
        "api/v1/meetings?status=%27", "api/v1/meetings/{1}/messages?limit=0", "api/v1/meetings/{0}/close", "api/v1/meetings/{1}/messages/{0}",
    ];

    /// <summary>One malformed request: a broken body, media type, path, method or header; never a valid write.</summary>
    private static FuzzRequest Generate(Random random, int index, string key, Guid decision, Guid meeting)
    {
        var endpoint = Writes[random.Next(Writes.Length)];
        var write = string.Format(System.Globalization.CultureInfo.InvariantCulture, endpoint.Path, decision, meeting);
        string Valid() => endpoint.Valid;
        var fields = endpoint.Fields;
        var none = Array.Empty<(string, string)>();
        switch (index % 10)
        {
            case 0: // random bytes, often invalid UTF-8
            {
                var bytes = new byte[random.Next(0, 3000)];
                random.NextBytes(bytes);
                return new("random bytes", HttpMethod.Post, write, bytes, "application/json", key, none);
            }

            case 1: // a field of the wrong type or value (required fields are always broken or missing)
            {
                var field = fields[random.Next(fields.Length)];
                var value = BadValues[random.Next(BadValues.Length)];
                return new($"{field}={value}", HttpMethod.Post, write, Encoding.UTF8.GetBytes($"{{{endpoint.Broken},\"{field}\":{value}}}"), "application/json", key, none);
            }

            case 2: // truncated or mangled JSON
            {
                var text = "{" + Valid() + "}";
                var cut = text[..random.Next(0, text.Length - 1)] + new string(']', random.Next(0, 3));
                return new("truncated", HttpMethod.Post, write, Encoding.UTF8.GetBytes(cut), "application/json", key, none);
            }

            case 3: // control characters and escapes inside the valid fields' values, plus an unknown field
            {
                var noise = string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => (char)random.Next(0, 32)));
                var json = $"{{{Valid()},\"x{random.Next()}\":\"{noise}\"}}";
                return new("control characters", HttpMethod.Post, write, Encoding.UTF8.GetBytes(json), "application/json", key, none);
            }

            case 4: // wrong media type with a valid body
                return new("media type", HttpMethod.Post, write, Encoding.UTF8.GetBytes("{" + Valid() + "}"), MediaTypes[random.Next(MediaTypes.Length)], key, none);

            case 5: // odd paths and query strings
                return new("path", random.Next(2) == 0 ? HttpMethod.Get : HttpMethod.Post, string.Format(System.Globalization.CultureInfo.InvariantCulture,
                    Paths[random.Next(Paths.Length)], decision, meeting), random.Next(2) == 0 ? null : "{}"u8.ToArray(), "application/json", key, none);

            case 6: // methods the endpoints do not take
            {
                var method = new[] { HttpMethod.Put, HttpMethod.Patch, HttpMethod.Delete, new HttpMethod("PROPFIND") }[random.Next(4)];
                return new($"method {method}", method,
                    new[] { "api/v1/me", "api/v1/messages", $"api/v1/decisions/{decision}", $"api/v1/meetings/{meeting}", $"api/v1/meetings/{meeting}/close" }[random.Next(5)],
                    "{}"u8.ToArray(), "application/json", key, none);
            }

            case 7: // broken or foreign credentials, long headers
            {
                var credentials = new[] { "", "x", key[..^1], key + "x", key.ToUpperInvariant(), new string('k', 8000), key.Replace('_', '-') }[random.Next(7)];
                return new("credentials", HttpMethod.Post, write, Encoding.UTF8.GetBytes("{" + Valid() + "}"), "application/json", credentials,
                    [("X-Long", new string('h', random.Next(1000, 12000)))]);
            }

            case 8: // idempotency keys that are not keys, on invalid bodies
                return new("idempotency key", HttpMethod.Post, write, Encoding.UTF8.GetBytes("{\"title\":[1]}"), "application/json", key,
                    [("Idempotency-Key", new[] { "", new string('i', 300), "a b", "key with spaces", "\t" }[random.Next(5)])]);

            default: // deep nesting, huge numbers, or (rarely) a body over the limit
            {
                if (index % 400 == 9)
                {
                    return new("too large", HttpMethod.Post, write, new byte[1_200_000], "application/json", key, none);
                }

                var depth = random.Next(20, 200);
                var nested = new string('[', depth) + new string(']', depth);
                return new("nesting", HttpMethod.Post, write, Encoding.UTF8.GetBytes($"{{\"metadata\":{nested},\"payload\":{nested}}}"), "application/json", key, none);
            }
        }
    }
}
