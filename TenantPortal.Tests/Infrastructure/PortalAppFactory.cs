using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>The app in-process (TestServer), configured with settings instead of environment variables.</summary>
public sealed class PortalAppFactory(IReadOnlyDictionary<string, string?> settings, string environment = "Development") : WebApplicationFactory<Program>
{
    public static PortalAppFactory For(TestDatabase database, string environment = "Development") => new(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Portal"] = database.AppConnectionString,
        ["ConnectionStrings:PortalMigrations"] = database.OwnerConnectionString,
        ["Database:MigrateOnStartup"] = "false",
    }, environment);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
