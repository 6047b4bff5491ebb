using System.Security.Claims;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TenantPortal.Features.Email;
using TenantPortal.Rendering;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>
/// Renders components to HTML with the framework's HtmlRenderer and parses the result with AngleSharp.
/// (bUnit does not restore from the registry here: its AngleSharp.Diffing 1.x and Microsoft.JSInterop.WebAssembly are not served.)
/// </summary>
public sealed class ComponentRenderer : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly HtmlRenderer renderer;

    public ComponentRenderer(ClaimsPrincipal? user = null, string environment = "Development", TestDatabase? database = null)
    {
        var collection = new ServiceCollection();
        collection.AddStaticRenderHost(database?.AppConnectionString ?? "Host=127.0.0.1;Port=1;Database=none", environment);
        collection.AddSingleton<IErrorBoundaryLogger, RethrowingErrorBoundaryLogger>();
        collection.AddSingleton<IPortalMail, CapturedMail>();
        services = collection.BuildServiceProvider();
        services.SignIn(user ?? new ClaimsPrincipal(new ClaimsIdentity()));
        renderer = new HtmlRenderer(services, services.GetRequiredService<ILoggerFactory>());
    }

    public static ClaimsPrincipal SignedIn(string email, Guid? id = null) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, email), new Claim(ClaimTypes.NameIdentifier, (id ?? Guid.NewGuid()).ToString())],
        authenticationType: "Test"));

    public async Task<IHtmlDocument> RenderAsync<TComponent>(Dictionary<string, object?>? parameters = null)
        where TComponent : IComponent
    {
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters ?? []));
            return output.ToHtmlString();
        });
        return new HtmlParser().ParseDocument(html);
    }

    public async ValueTask DisposeAsync()
    {
        await renderer.DisposeAsync();
        await services.DisposeAsync();
    }

    /// <summary>An error caught by an error boundary fails the test instead of disappearing into a log.</summary>
    private sealed class RethrowingErrorBoundaryLogger : IErrorBoundaryLogger
    {
        public ValueTask LogErrorAsync(Exception exception) => ValueTask.FromException(exception);
    }
}
