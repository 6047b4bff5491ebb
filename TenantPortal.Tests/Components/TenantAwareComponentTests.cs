using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TenantPortal.Components;
#pragma warning disable BL0006 // The test has a minimal renderer of its own, to see what reaches a renderer's error handling.
using TenantPortal.Hosting;
using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Components;

public sealed class TenantAwareComponentTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task A_failure_while_following_a_switch_reaches_the_renderers_error_handling()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var services = new ServiceCollection().AddLogging().AddPortalDbContext(fixture.Database.AppConnectionString).BuildServiceProvider();
        await using var scope = services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<TenantSession>();
        await session.InitializeAsync(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, world.OwnerA.ToString())], "Test")),
            TestContext.Current.CancellationToken);
        await using var renderer = new CapturingRenderer(scope.ServiceProvider);
        await renderer.RenderAsync<FailsOnSwitch>();

        await session.RefreshAsync(TestContext.Current.CancellationToken);

        // Before, the task of the handler was dropped and the failure vanished.
        await Eventually.EqualAsync("lost the organization", () => Task.FromResult(renderer.Errors.FirstOrDefault()?.Message));
    }

    private sealed class FailsOnSwitch : TenantAwareComponent
    {
        protected override Task OnTenantChangedAsync() => throw new InvalidOperationException("lost the organization");
    }

    /// <summary>A renderer that keeps what reaches its error handling (where no error boundary took it first).</summary>
    private sealed class CapturingRenderer(IServiceProvider services) : Renderer(services, NullLoggerFactory.Instance)
    {
        public System.Collections.Concurrent.ConcurrentQueue<Exception> Errors { get; } = new();

        public override Dispatcher Dispatcher { get; } = Dispatcher.CreateDefault();

        public Task RenderAsync<T>() where T : IComponent =>
            Dispatcher.InvokeAsync(() => RenderRootComponentAsync(AssignRootComponentId(InstantiateComponent(typeof(T)))));

        protected override void HandleException(Exception exception) => Errors.Enqueue(exception);

        protected override Task UpdateDisplayAsync(in RenderBatch renderBatch) => Task.CompletedTask;
    }
}
