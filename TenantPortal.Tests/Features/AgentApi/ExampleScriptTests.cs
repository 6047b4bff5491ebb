using System.Diagnostics;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AgentApi;

/// <summary>The README's example agent (examples/agent.sh, curl only) runs from start to end against the app.</summary>
public sealed class ExampleScriptTests(ApiApp api) : IClassFixture<ApiApp>
{
    [Fact]
    public async Task The_example_agent_script_posts_reads_proposes_and_waits_until_a_person_decides()
    {
        Assert.True(File.Exists("/usr/bin/curl") || File.Exists("/bin/curl"), "The example script needs curl (apt-get install curl).");
        var world = await TwoTenants.CreateAsync(api.Database);
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["KEY"] = world.KeyA, ["API"] = new Uri(api.App.BaseAddress, "api/v1").ToString() },
        };
        start.ArgumentList.Add(Path.Combine(AppProcess.RepositoryRoot, "examples", "agent.sh"));
        using var script = Process.Start(start)!;
        var output = script.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = script.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);

        // Once the script's proposal exists, a person approves it.
        Guid decision = default;
        await Eventually.EqualAsync(true, async () =>
        {
            decision = await Sql.ScalarAsync<Guid>(api.Database.AdminConnectionString,
                "SELECT id FROM decisions WHERE org_id = @o AND title = 'Deploy 2.4 to production?'", ("o", world.OrgA));
            return decision != Guid.Empty || script.HasExited;
        }, attempts: 300);
        if (script.HasExited)
        {
            Assert.Fail($"The script ended before proposing (exit {script.ExitCode}): {await errors}\n{await output}");
        }

        await using (var owner = await Tenants.OpenAsync(api.Database, world.OwnerA, world.OrgA))
        {
            await Sql.ExecuteAsync(owner, "UPDATE decisions SET status = 'approved', chosen_option = 'deploy' WHERE id = @id", ("id", decision));
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await script.WaitForExitAsync(timeout.Token);
        var text = await output;
        Assert.True(script.ExitCode == 0, $"exit {script.ExitCode}: {await errors}\n{text}");
        Assert.Contains("\"name\":\"greeter\"", text, StringComparison.Ordinal);        // /me
        Assert.Contains("Nightly build is green.", text, StringComparison.Ordinal);    // the post, echoed
        Assert.Contains("\"status\":\"approved\"", text, StringComparison.Ordinal);    // the wait's answer
        Assert.Equal(1L, await Sql.ScalarAsync<long>(api.Database.AdminConnectionString,
            "SELECT count(*) FROM agent_messages WHERE org_id = @o AND content = 'Nightly build is green.'", ("o", world.OrgA)));
    }
}
