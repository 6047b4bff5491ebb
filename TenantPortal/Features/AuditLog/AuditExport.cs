using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TenantPortal.Features.AuditLog;

/// <summary>Writes audit events as CSV or JSON Lines, one row at a time.</summary>
public static class AuditExport
{
    public const string Csv = "csv";
    public const string JsonLines = "jsonl";

    private static readonly string[] Columns =
    [
        "seq", "occurred_at", "actor_type", "actor_id", "api_key_id", "action", "entity_type", "entity_id",
        "workspace_id", "project_id", "status", "error_message", "ip_address", "user_agent", "details", "hash",
    ];

    /// <summary>The export address for an organization, format and filter.</summary>
    public static string Link(Guid org, string format, AuditFilter filter)
    {
        var query = new Dictionary<string, string?>
        {
            ["org"] = org.ToString(),
            ["format"] = format,
            ["from"] = filter.From?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["to"] = filter.To?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["actions"] = filter.Actions.Count > 0 ? string.Join(',', filter.Actions) : null,
            ["actorType"] = filter.ActorType,
            ["actor"] = filter.Actor?.ToString(),
            ["entityType"] = filter.EntityType,
            ["entityId"] = filter.EntityId,
            ["status"] = filter.Status,
            ["text"] = filter.Text,
        };
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("audit/export", query.Where(p => p.Value is not null));
    }

    public static string ContentType(string format) => format == Csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";

    public static async Task<long> WriteAsync(string format, IAsyncEnumerable<AuditEvent> events, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 16 * 1024, leaveOpen: true);
        if (format == Csv)
        {
            await writer.WriteLineAsync(string.Join(',', Columns));
        }

        long rows = 0;
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            await writer.WriteLineAsync(format == Csv ? CsvLine(e) : JsonLine(e));
            if (++rows % 500 == 0)
            {
                await writer.FlushAsync(cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
        return rows;
    }

    private static string[] Values(AuditEvent e) =>
    [
        e.Seq.ToString(CultureInfo.InvariantCulture), e.OccurredAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), e.ActorType,
        e.ActorId?.ToString() ?? "", e.ApiKeyId?.ToString() ?? "", e.Action, e.EntityType ?? "", e.EntityId ?? "",
        e.WorkspaceId?.ToString() ?? "", e.ProjectId?.ToString() ?? "", e.Status, e.ErrorMessage ?? "",
        e.IpAddress?.ToString() ?? "", e.UserAgent ?? "", e.Details.RootElement.GetRawText(), Convert.ToHexStringLower(e.Hash),
    ];

    internal static string CsvLine(AuditEvent e) => string.Join(',', Values(e).Select(CsvField));

    /// <summary>RFC 4180 quoting, and a leading apostrophe where a spreadsheet would take text for a formula.</summary>
    internal static string CsvField(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string JsonLine(AuditEvent e)
    {
        var values = Values(e);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            for (var i = 0; i < Columns.Length; i++)
            {
                json.WritePropertyName(Columns[i]);
                if (Columns[i] == "details")
                {
                    e.Details.RootElement.WriteTo(json);
                }
                else
                {
                    json.WriteStringValue(values[i]);
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
