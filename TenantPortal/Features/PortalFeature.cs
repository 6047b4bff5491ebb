namespace TenantPortal.Features;

/// <summary>
/// One capability of the portal, declared in its own folder: the services it adds, the endpoints it maps beside its
/// pages, and the sentences for the database's refusals that concern it. Features are found in the assembly; nothing
/// central lists them.
/// </summary>
internal interface IPortalFeature
{
    /// <summary>The services the feature's pages and endpoints use (scoped ones live one per circuit).</summary>
    void AddServices(IServiceCollection services, FeatureSettings settings);

    /// <summary>Endpoints beside the pages, if any.</summary>
    void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
    }

    /// <summary>What to tell a person when the database refuses one of the feature's changes.</summary>
    IEnumerable<Refusal> Refusals => [];
}

/// <summary>What a feature may consult while adding its services.</summary>
internal sealed record FeatureSettings(IConfiguration Configuration, IHostEnvironment Environment);

internal static class PortalFeatures
{
    /// <summary>Every feature of the assembly, in name order.</summary>
    public static IReadOnlyList<IPortalFeature> All { get; } = [.. typeof(IPortalFeature).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.IsAssignableTo(typeof(IPortalFeature)))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .Select(t => (IPortalFeature)Activator.CreateInstance(t)!)];

    /// <summary>The services of every feature, and the clock they all read; the app, its tests and its bench wire the same.</summary>
    public static IServiceCollection AddPortalFeatures(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton(TimeProvider.System);
        var settings = new FeatureSettings(configuration, environment);
        foreach (var feature in All)
        {
            feature.AddServices(services, settings);
        }

        return services;
    }

    public static IEndpointRouteBuilder MapPortalFeatures(this IEndpointRouteBuilder endpoints)
    {
        foreach (var feature in All)
        {
            feature.MapEndpoints(endpoints);
        }

        return endpoints;
    }
}
