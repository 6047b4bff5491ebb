using TenantPortal.Features.Plans;
using TenantPortal.Features.Projects;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Plans;

public sealed class PlanComponentsTests
{
    [Theory]
    [InlineData(2L, 3, "2 of 3", false)]
    [InlineData(3L, 3, "3 of 3", true)]
    [InlineData(40L, null, "40 (unlimited)", false)]
    public async Task A_usage_meter_says_how_much_is_used_of_the_limit(long used, int? limit, string text, bool full)
    {
        await using var renderer = new ComponentRenderer();

        var html = await renderer.RenderAsync<UsageMeter>(new()
        {
            [nameof(UsageMeter.Label)] = "Projects", [nameof(UsageMeter.Used)] = used, [nameof(UsageMeter.Limit)] = limit,
        });

        var meter = html.QuerySelector("[data-testid=meter-projects]")!;
        Assert.Equal(text, meter.QuerySelector("strong")?.TextContent);
        Assert.Equal(full, meter.ClassList.Contains("tp-meter-full"));
        Assert.Equal(limit is not null, meter.QuerySelector(".rz-progressbar") is not null);
    }

    [Fact]
    public async Task The_status_badge_names_the_status()
    {
        await using var renderer = new ComponentRenderer();

        var html = await renderer.RenderAsync<ProjectStatusBadge>(new() { [nameof(ProjectStatusBadge.Status)] = ProjectStatus.Suspended });

        Assert.Equal("Suspended", html.QuerySelector("[data-status=suspended]")?.TextContent.Trim());
    }
}
