using TenantPortal.Features.ApiKeys;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.ApiKeys;

public sealed class ApiKeyComponentsTests
{
    [Fact]
    public async Task The_new_key_is_shown_once_with_a_copy_button_and_a_warning()
    {
        await using var renderer = new ComponentRenderer();
        var key = ApiKeyFormat.Generate(Guid.NewGuid(), Guid.NewGuid()).Key;

        var html = await renderer.RenderAsync<NewKeyDialog>(new() { [nameof(NewKeyDialog.Key)] = key, [nameof(NewKeyDialog.AgentName)] = "greeter" });

        Assert.Equal(key, html.QuerySelector("input#new-api-key")?.GetAttribute("value"));
        Assert.NotNull(html.QuerySelector("input#new-api-key[readonly]"));
        Assert.Contains(html.QuerySelectorAll("button"), b => b.TextContent.Contains("Copy", StringComparison.Ordinal));
        Assert.Contains("shown only this once", html.QuerySelector("[data-testid=show-once-warning]")?.TextContent, StringComparison.Ordinal);
        Assert.Equal("API key for greeter", html.QuerySelector("label[for=new-api-key]")?.TextContent);
    }

    [Fact]
    public async Task Revoking_asks_for_a_reason_before_the_button_works()
    {
        await using var renderer = new ComponentRenderer();

        var html = await renderer.RenderAsync<RevokeKeyDialog>(new()
        {
            [nameof(RevokeKeyDialog.KeyId)] = Guid.NewGuid(), [nameof(RevokeKeyDialog.KeyName)] = "deploy",
            [nameof(RevokeKeyDialog.Display)] = "sk_agent_v1_0a1b2c3d_4e5f6a7b_…WXYZ",
        });

        var revoke = html.QuerySelectorAll("button").Single(b => b.TextContent.Contains("Revoke key", StringComparison.Ordinal));
        Assert.True(revoke.HasAttribute("disabled"));
        Assert.NotNull(html.QuerySelector("input#revoke-reason[maxlength='500']"));
        Assert.Contains("It stops working at once", html.Body!.TextContent, StringComparison.Ordinal);
        Assert.Contains("sk_agent_v1_0a1b2c3d_4e5f6a7b_…WXYZ", html.Body.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Managers_get_disable_for_active_keys_enable_for_disabled_ones_and_nothing_for_revoked_ones()
    {
        await using var renderer = new ComponentRenderer();
        ApiKeyRow Row(string name, string status) => new(Guid.NewGuid(), name, "sk_agent_v1_…", Guid.NewGuid(), "Project", Guid.NewGuid(), "greeter",
            ["communicate"], status, "owner@example.com", DateTimeOffset.UtcNow, null, null, null, null);

        var html = await renderer.RenderAsync<ApiKeyTable>(new()
        {
            [nameof(ApiKeyTable.Rows)] = new List<ApiKeyRow> { Row("live", ApiKeyStatus.Active), Row("paused", ApiKeyStatus.Disabled), Row("gone", ApiKeyStatus.Revoked) },
            [nameof(ApiKeyTable.CanManage)] = true,
        });
        var labels = html.QuerySelectorAll("button[aria-label]").Select(b => b.GetAttribute("aria-label")).ToList();

        Assert.Equal(["Roll live", "Disable live", "Change the request limit of live", "Revoke live", "Enable paused",
            "Change the request limit of paused", "Revoke paused"], labels);
        Assert.NotNull(html.QuerySelector("[data-key-status=disabled]"));

        var reader = await renderer.RenderAsync<ApiKeyTable>(new()
        {
            [nameof(ApiKeyTable.Rows)] = new List<ApiKeyRow> { Row("live", ApiKeyStatus.Active), Row("paused", ApiKeyStatus.Disabled) },
        });
        Assert.Empty(reader.QuerySelectorAll("button[aria-label]"));
    }
}
