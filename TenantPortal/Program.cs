using TenantPortal.Components;
using TenantPortal.Components.Account;
using TenantPortal.Features.AgentApi;
using TenantPortal.Hosting;

try
{
    var builder = WebApplication.CreateBuilder(args);
    await using var database = await builder.AddPortalDataAsync();
    builder.AddPortalUi();
    builder.AddPortalIdentity();

    var app = builder.Build();
    if (!app.Environment.IsDevelopment())
    {
        app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseHsts();
    }

    app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
    app.UseAgentApi();
    app.UseAntiforgery();
    app.MapPortalUi();
    await app.RunAsync();
    return 0;
}
catch (StartupException ex)
{
    // An operator-fixable problem: one clear message, no stack trace.
    await Console.Error.WriteLineAsync($"TenantPortal cannot start: {ex.Message}");
    return 1;
}
catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    await Console.Error.WriteLineAsync($"TenantPortal cannot start: {ex.Message} Stop the other process or choose another address with --urls.");
    return 1;
}

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
