using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace TenantPortal.Features.AgentApi;

/// <summary>
/// A request's JSON body, read strictly: JSON media type, at most 1 MiB, a single object, no unknown or repeated
/// fields. Fields are read one by one with their rules; every problem is collected under the field's name, so one
/// 400 lists them all. Nothing here throws on any input.
/// </summary>
internal sealed class JsonInput
{
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Metadata and payloads: a JSON object of at most 16 KiB.</summary>
    public const int MaxObjectBytes = 16 * 1024;

    private readonly JsonElement root;
    private readonly HashSet<string> read = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    private JsonInput(JsonElement root, byte[] bodyHash) => (this.root, BodyHash) = (root, bodyHash);

    /// <summary>SHA-256 of the body as sent (idempotency keys compare requests by it).</summary>
    public byte[] BodyHash { get; }

    /// <summary>Reads the body, or says why it cannot be read (415, 413, 400).</summary>
    public static async Task<(JsonInput? Input, ApiProblem? Problem)> ReadAsync(HttpRequest request)
    {
        if (!IsJson(request.ContentType))
        {
            return (null, ApiProblem.UnsupportedMediaType());
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, ApiProblem.TooLarge());
        }

        var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int count;
        while ((count = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (body.Length + count > MaxBodyBytes)
            {
                return (null, ApiProblem.TooLarge());
            }

            body.Write(chunk, 0, count);
        }

        if (body.Length == 0)
        {
            return (null, ApiProblem.InvalidJson("The body is empty; send a JSON object."));
        }

        try
        {
            // Invalid UTF-8 and repeated fields are refused by the parser.
            using var document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length),
                new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ApiProblem.InvalidJson("The body must be a JSON object."));
            }

            // The parser lets lone surrogate escapes through; once refused here, every field reads as valid text.
            if (!EveryText(document.RootElement, text => !HasLoneSurrogate(text)))
            {
                return (null, ApiProblem.InvalidJson("The body holds text that is not valid Unicode (such as a lone surrogate escape, \\ud800)."));
            }

            return (new JsonInput(document.RootElement.Clone(), SHA256.HashData(body.GetBuffer().AsSpan(0, (int)body.Length))), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiProblem.InvalidJson($"The body is not valid JSON: {ex.Message}"));
        }
        catch (InvalidOperationException)
        {
            // The parser's check for repeated fields reads every name, and a name with a lone surrogate escape fails.
            return (null, ApiProblem.InvalidJson("The body holds text that is not valid Unicode (such as a lone surrogate escape, \\ud800)."));
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var json = media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.MediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        return json && (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }

    public void Fail(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>The 400 for every problem found, unknown fields included; null when the body is fine.</summary>
    public ApiProblem? Problem()
    {
        foreach (var property in root.EnumerateObject().Where(p => !read.Contains(p.Name)))
        {
            Fail(property.Name, $"Unknown field '{property.Name}'.");
        }

        return errors.Count == 0 ? null : ApiProblem.Invalid(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }

    private JsonElement? Field(string name, bool required)
    {
        read.Add(name);
        if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            return value;
        }

        if (required)
        {
            Fail(name, "This field is required.");
        }

        return null;
    }

    /// <summary>
    /// A string of <paramref name="min"/>–<paramref name="max"/> characters, trimmed when <paramref name="trim"/>.
    /// Never NUL; no control characters at all when <paramref name="plain"/> (names, types, ids).
    /// </summary>
    public string? String(string name, int min, int max, bool required = false, bool trim = true, bool plain = true)
    {
        if (Field(name, required) is not JsonElement value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(name, "Must be a string.");
            return null;
        }

        var text = value.GetString()!;
        return Text(name, trim ? text.Trim() : text, min, max, plain);
    }

    /// <summary>The rules of <see cref="String"/>, for a field's text or a list's item (valid Unicode already: see <see cref="ReadAsync"/>).</summary>
    private string? Text(string name, string text, int min, int max, bool plain)
    {
        if (text.Length < min || text.Length > max)
        {
            Fail(name, min == max ? $"Must be {min} characters." : text.Length < min
                ? (min == 1 ? "Must not be empty." : $"Must be at least {min} characters.")
                : $"Must be at most {max:N0} characters.");
            return null;
        }

        if (plain ? text.Any(char.IsControl) : text.Contains('\0'))
        {
            Fail(name, plain ? "Must not contain control characters." : "Must not contain the NUL character (\\u0000).");
            return null;
        }

        return text;
    }

    public Guid? Uuid(string name)
    {
        if (Field(name, false) is not JsonElement value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && Guid.TryParseExact(value.GetString(), "D", out var id))
        {
            return id;
        }

        Fail(name, "Must be an id such as 3f2b8e4a-0c1d-4e5f-9a7b-2c3d4e5f6a7b.");
        return null;
    }

    public DateTimeOffset? Time(string name)
    {
        if (Field(name, false) is not JsonElement value)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time))
        {
            return time;
        }

        Fail(name, "Must be a date and time in ISO 8601 with an offset, such as 2026-12-01T09:00:00Z.");
        return null;
    }

    /// <summary>A list of distinct strings with the rules of <see cref="String"/> for each item; <paramref name="repeated"/> says what a repeated item breaks.</summary>
    public List<string>? Strings(string name, int minItems, int maxItems, int min, int max, string repeated, bool required = false)
    {
        if (Field(name, required) is not JsonElement value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Fail(name, "Must be a list of strings.");
            return null;
        }

        var length = value.GetArrayLength();
        if (length < minItems || length > maxItems)
        {
            Fail(name, $"Must have {minItems}–{maxItems} items.");
            return null;
        }

        var items = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var field = $"{name}[{index++}]";
            if (item.ValueKind != JsonValueKind.String)
            {
                Fail(field, "Must be a string.");
            }
            else if (Text(field, item.GetString()!.Trim(), min, max, plain: true) is string ok)
            {
                items.Add(ok);
            }
        }

        if (items.Count != length)
        {
            return null;
        }

        if (items.Distinct(StringComparer.Ordinal).Count() != items.Count)
        {
            Fail(name, repeated);
            return null;
        }

        return items;
    }

    /// <summary>A JSON object of at most <see cref="MaxObjectBytes"/> whose strings hold no NUL (PostgreSQL's jsonb cannot store one); its text.</summary>
    public string? Object(string name)
    {
        if (Field(name, false) is not JsonElement value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Fail(name, "Must be a JSON object.");
            return null;
        }

        var text = value.GetRawText();
        if (System.Text.Encoding.UTF8.GetByteCount(text) > MaxObjectBytes)
        {
            Fail(name, $"Must be at most {MaxObjectBytes / 1024} KiB of JSON.");
            return null;
        }

        if (!EveryText(value, text => !text.Contains('\0')))
        {
            Fail(name, "Must not contain the NUL character (\\u0000).");
            return null;
        }

        return text;
    }

    /// <summary>True when every property name and string inside <paramref name="value"/> passes <paramref name="ok"/>.</summary>
    private static bool EveryText(JsonElement value, Func<string, bool> ok)
    {
        try
        {
            return value.ValueKind switch
            {
                JsonValueKind.Object => value.EnumerateObject().All(p => ok(p.Name) && EveryText(p.Value, ok)),
                JsonValueKind.Array => value.EnumerateArray().All(v => EveryText(v, ok)),
                JsonValueKind.String => ok(value.GetString()!),
                _ => true,
            };
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            return false; // text the parser let through but cannot turn into a string
        }
    }

    internal static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }
}
