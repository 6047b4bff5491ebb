using System.Security.Claims;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;
using Radzen;
using TenantPortal.Data;
using TenantPortal.Features;
using TenantPortal.Features.Email;
using TenantPortal.Hosting;

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
        collection.AddLogging();
        collection.AddAuthorizationCore();
        collection.AddCascadingAuthenticationState();
        collection.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationState(user ?? new ClaimsPrincipal(new ClaimsIdentity())));
        collection.AddSingleton<NavigationManager>(new TestNavigationManager());
        collection.AddSingleton<IJSRuntime, StaticRenderJSRuntime>();
        collection.AddSingleton<AntiforgeryStateProvider, FixedAntiforgery>();
        collection.AddSingleton<IErrorBoundaryLogger, RethrowingErrorBoundaryLogger>();
        collection.AddSingleton<IWebHostEnvironment>(new TestEnvironment(environment));
        collection.AddRadzenComponents();
        collection.AddPortalDbContext(database?.AppConnectionString ?? "Host=127.0.0.1;Port=1;Database=none");
        collection.AddPortalFeatures(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), new TestEnvironment(environment));
        collection.AddSingleton<IPortalMail, CapturedMail>();
        collection.AddSingleton(TimeProvider.System);
        services = collection.BuildServiceProvider();
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

    private sealed class FixedAuthenticationState(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }

    private sealed class TestNavigationManager : NavigationManager
    {
        public TestNavigationManager() => Initialize("http://localhost/", "http://localhost/");
    }

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("test-token", "__RequestVerificationToken");
    }

    /// <summary>Static rendering never runs OnAfterRender, so no component may call JavaScript.</summary>
    private sealed class StaticRenderJSRuntime : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript call '{identifier}' during static rendering.");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript call '{identifier}' during static rendering.");
    }

    /// <summary>An error caught by an error boundary fails the test instead of disappearing into a log.</summary>
    private sealed class RethrowingErrorBoundaryLogger : IErrorBoundaryLogger
    {
        public ValueTask LogErrorAsync(Exception exception) => ValueTask.FromException(exception);
    }

    private sealed class TestEnvironment(string name) : IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = "";
        public IFileProvider WebRootFileProvider { get; set; } = new NullFileProvider();
        public string ApplicationName { get; set; } = "TenantPortal";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
        public string ContentRootPath { get; set; } = "";
        public string EnvironmentName { get; set; } = name;
    }
}
