using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TenantPortal.Tests.Infrastructure;

/// <summary>The app in-process (TestServer), configured with settings instead of environment variables.</summary>
public sealed class PortalAppFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public static PortalAppFactory For(TestDatabase database, bool migrate = false) => new(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Portal"] = database.AppConnectionString,
        ["ConnectionStrings:PortalMigrations"] = database.OwnerConnectionString,
        ["Database:MigrateOnStartup"] = migrate ? "true" : "false",
    });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
