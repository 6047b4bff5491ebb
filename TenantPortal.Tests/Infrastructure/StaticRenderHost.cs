using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.JSInterop;
using Radzen;
using TenantPortal.Features;
using TenantPortal.Hosting;

namespace TenantPortal.Rendering;

/// <summary>
/// What the portal's components need from a host when the framework's HtmlRenderer renders them outside a request:
/// a signed-in person (settable per scope), a navigation base, an antiforgery token, no JavaScript (a server render
/// runs no OnAfterRender), an environment, and the portal's own services on a database. Shared by the component
/// tests and the benchmark's page times (linked into both).
/// </summary>
internal static class StaticRenderHost
{
    public static IServiceCollection AddStaticRenderHost(this IServiceCollection services, string connectionString, string environment)
    {
        services.AddLogging();
        services.AddAuthorizationCore();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, SignedInPerson>();
        services.AddSingleton<NavigationManager, LocalNavigation>();
        services.AddSingleton<IJSRuntime, NoJavaScript>();
        services.AddSingleton<AntiforgeryStateProvider, FixedAntiforgery>();
        var host = new Environment(environment);
        services.AddSingleton<IWebHostEnvironment>(host);
        services.AddRadzenComponents();
        services.AddPortalDbContext(connectionString);
        services.AddPortalFeatures(new ConfigurationBuilder().Build(), host);
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>Signs <paramref name="user"/> in for the scope's renders.</summary>
    public static void SignIn(this IServiceProvider scope, ClaimsPrincipal user) =>
        ((SignedInPerson)scope.GetRequiredService<AuthenticationStateProvider>()).User = user;

    private sealed class SignedInPerson : AuthenticationStateProvider
    {
        public ClaimsPrincipal User { get; set; } = new(new ClaimsIdentity());

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(User));
    }

    private sealed class LocalNavigation : NavigationManager
    {
        public LocalNavigation() => Initialize("http://localhost/", "http://localhost/");
    }

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("static-render", "__RequestVerificationToken");
    }

    private sealed class NoJavaScript : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript call '{identifier}' during a server render.");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            throw new InvalidOperationException($"JavaScript call '{identifier}' during a server render.");
    }

    private sealed class Environment(string name) : IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = "";
        public IFileProvider WebRootFileProvider { get; set; } = new NullFileProvider();
        public string ApplicationName { get; set; } = "TenantPortal";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
        public string ContentRootPath { get; set; } = "";
        public string EnvironmentName { get; set; } = name;
    }
}
