using System.Text;
using System.Text.Json;
using TenantPortal.Features.AuditLog;

namespace TenantPortal.Tests.Features.AuditLog;

public sealed class AuditExportTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("@cmd", "'@cmd")]
    [InlineData("", "")]
    public void Csv_fields_are_quoted_and_formulas_defused(string value, string expected) =>
        Assert.Equal(expected, AuditExport.CsvField(value));

    [Fact]
    public async Task No_events_is_a_header_only_csv_and_an_empty_jsonl()
    {
        using var csv = new MemoryStream();
        using var jsonl = new MemoryStream();

        Assert.Equal(0, await AuditExport.WriteAsync(AuditExport.Csv, Events(), csv, TestContext.Current.CancellationToken));
        Assert.Equal(0, await AuditExport.WriteAsync(AuditExport.JsonLines, Events(), jsonl, TestContext.Current.CancellationToken));

        var lines = Encoding.UTF8.GetString(csv.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("seq,occurred_at,actor_type", Assert.Single(lines), StringComparison.Ordinal);
        Assert.Empty(jsonl.ToArray());
    }

    [Fact]
    public async Task Jsonl_writes_one_object_per_event_with_details_as_json()
    {
        using var output = new MemoryStream();
        var e = new AuditEvent { Seq = 4, Action = "workspace_create", ActorType = "human", Hash = [1, 2], Details = JsonDocument.Parse("""{"new": {"name": "Ops, \"quoted\""}}""") };

        Assert.Equal(2, await AuditExport.WriteAsync(AuditExport.JsonLines, Events(e, e), output, TestContext.Current.CancellationToken));

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("workspace_create", first.RootElement.GetProperty("action").GetString());
        Assert.Equal("Ops, \"quoted\"", first.RootElement.GetProperty("details").GetProperty("new").GetProperty("name").GetString());
        Assert.Equal("0102", first.RootElement.GetProperty("hash").GetString());
    }

    [Fact]
    public void The_export_link_carries_the_filter()
    {
        var org = Guid.NewGuid();
        var actor = Guid.NewGuid();
        var link = AuditExport.Link(org, AuditExport.Csv, new AuditFilter { Actions = ["org_create", "export"], Text = "a&b", From = new DateTime(2026, 11, 1), Actor = actor });

        Assert.Equal($"audit/export?org={org}&format=csv&from=2026-11-01&actions=org_create,export&actor={actor}&text=a%26b", link);
    }

    private static async IAsyncEnumerable<AuditEvent> Events(params AuditEvent[] events)
    {
        foreach (var e in events)
        {
            await Task.Yield();
            yield return e;
        }
    }
}
