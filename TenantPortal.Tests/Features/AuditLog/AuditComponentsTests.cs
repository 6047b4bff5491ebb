using System.Text.Json;
using TenantPortal.Features.AuditLog;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AuditLog;

public sealed class AuditComponentsTests
{
    [Fact]
    public async Task The_details_drawer_shows_old_and_new_side_by_side_and_marks_what_changed()
    {
        await using var renderer = new ComponentRenderer();
        var e = new AuditEvent
        {
            Seq = 7, Action = "workspace_update", ActorType = "human", EntityType = "workspaces", EntityId = "w1", Hash = [0xab, 0xcd],
            Details = JsonDocument.Parse("""{"old": {"name": "Research", "slug": "research", "archived_at": null}, "new": {"name": "<b>Lab</b>", "slug": "research", "archived_at": null}}"""),
        };

        var html = await renderer.RenderAsync<AuditEventDetails>(new() { [nameof(AuditEventDetails.Event)] = e, [nameof(AuditEventDetails.Actor)] = "Ada" });

        var rows = html.QuerySelectorAll("[data-testid=audit-diff] tbody tr");
        Assert.Equal(["archived_at", "name", "slug"], rows.Select(r => r.GetAttribute("data-field")));
        Assert.Equal(["false", "true", "false"], rows.Select(r => r.GetAttribute("data-changed")));
        var name = rows[1].QuerySelectorAll("td").Select(td => td.TextContent).ToList();
        Assert.Equal(["Research", "<b>Lab</b>"], name); // shown as text, never as markup
        Assert.Null(html.QuerySelector("[data-testid=audit-diff] b"));
        Assert.Contains("abcd", html.QuerySelector("[data-testid=audit-details]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_without_old_and_new_shows_its_details_as_json()
    {
        await using var renderer = new ComponentRenderer();
        var e = new AuditEvent { Action = "export", ActorType = "human", Details = JsonDocument.Parse("""{"rows": 3}""") };

        var html = await renderer.RenderAsync<AuditEventDetails>(new() { [nameof(AuditEventDetails.Event)] = e });

        Assert.Null(html.QuerySelector("[data-testid=audit-diff]"));
        Assert.Equal("""{"rows": 3}""", html.QuerySelector("pre")?.TextContent);
    }

    [Fact]
    public async Task The_filter_panel_offers_every_filter_with_a_label()
    {
        await using var renderer = new ComponentRenderer();

        var html = await renderer.RenderAsync<AuditFilterPanel>(new()
        {
            [nameof(AuditFilterPanel.Filter)] = new AuditFilter { Text = "needle" },
            [nameof(AuditFilterPanel.Actions)] = new List<string> { "org_create", "workspace_create" },
        });

        var labels = html.QuerySelectorAll("[data-testid=audit-filters] label").Select(l => l.TextContent.Trim()).ToList();
        Assert.Equal(["From", "To", "Actions", "Actor type", "Actor or key", "Entity type", "Entity id", "Status", "Text in details"], labels);
        Assert.Equal("needle", html.QuerySelector("#audit-text")?.GetAttribute("value"));
        Assert.NotNull(html.QuerySelector("button[type=submit]"));
    }
}
