using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantPortal.Features.AuditLog;
using TenantPortal.Features.Projects;
using TenantPortal.Rendering;
using TenantPortal.Tenancy;

namespace TenantPortal.Bench;

/// <summary>
/// Server time to a page's first complete render: a new circuit-like scope (its tenant session entered), then the page
/// rendered by the framework's HtmlRenderer until every load it starts has finished — the work the server does before
/// a person sees the page with its data (JavaScript and the network aside). The big organization against an empty one,
/// in the same run.
/// </summary>
internal static class PageTimes
{
    public sealed record PageTime(string Page, Timing Empty, Timing Large)
    {
        public double Ratio => Large.P50 / Empty.P50;
    }

    public static async Task<List<PageTime>> MeasureAsync(string appConnection, Guid owner, Guid emptyOwner)
    {
        var services = new ServiceCollection();
        services.AddStaticRenderHost(appConnection, "Production");
        await using var provider = services.BuildServiceProvider();

        return
        [
            await PageAsync<ProjectsPage>(provider, "Projects list", owner, emptyOwner),
            await PageAsync<AuditLogPage>(provider, "Audit viewer", owner, emptyOwner),
        ];
    }

    private static async Task<PageTime> PageAsync<TPage>(IServiceProvider provider, string name, Guid owner, Guid emptyOwner)
        where TPage : IComponent
    {
        var timings = await Timing.MeasureInterleavedAsync(() => RenderAsync<TPage>(provider, emptyOwner), () => RenderAsync<TPage>(provider, owner));
        var (empty, large) = (timings[0], timings[1]);
        var time = new PageTime(name, empty, large);
        Console.WriteLine($"{name}: empty organization {empty.P50:F1} ms, large {large.P50:F1} ms ({time.Ratio:F1}×)");
        return time;
    }

    private static async Task RenderAsync<TPage>(IServiceProvider provider, Guid user)
        where TPage : IComponent
    {
        await using var scope = provider.CreateAsyncScope();
        var principal = Measure.Principal(user);
        scope.ServiceProvider.SignIn(principal);
        await scope.ServiceProvider.GetRequiredService<TenantSession>().InitializeAsync(principal);
        await using var renderer = new HtmlRenderer(scope.ServiceProvider, scope.ServiceProvider.GetRequiredService<ILoggerFactory>());
        var html = await renderer.Dispatcher.InvokeAsync(async () => (await renderer.RenderComponentAsync<TPage>()).ToHtmlString());
        if (html.Length < 200)
        {
            throw new InvalidOperationException($"{typeof(TPage).Name} rendered almost nothing; the bench would measure nothing.");
        }
    }
}
