using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using TenantPortal.Data;
using TenantPortal.Features;
using TenantPortal.Features.Projects;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features;

/// <summary>Features declare what they add; the declarations must name real services, constraints and rules.</summary>
public sealed partial class PortalFeatureTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public void Features_are_found_in_the_assembly_and_add_their_own_services()
    {
        var names = PortalFeatures.All.Select(f => f.GetType().Name).ToList();
        Assert.Superset(new HashSet<string> { "ProjectsFeature", "AgentsFeature", "ApiKeysFeature", "AuditLogFeature", "EmailFeature", "HealthFeature" }, names.ToHashSet());

        var services = new ServiceCollection().AddPortalFeatures(new ConfigurationBuilder().Build(), new HostingEnvironment { EnvironmentName = Environments.Production });

        Assert.Contains(services, s => s.ServiceType == typeof(ProjectService));
        Assert.Contains(services, s => s.ServiceType == typeof(TimeProvider));
    }

    [Fact]
    public async Task Every_refusal_a_feature_declares_names_a_constraint_an_index_or_a_rule_the_database_raises()
    {
        var refusals = PortalFeatures.All.SelectMany(f => f.Refusals).ToList();
        Assert.Empty(refusals.GroupBy(r => r.Key).Where(g => g.Count() > 1).Select(g => g.Key));
        var known = (await Sql.ColumnAsync(fixture.Database.AdminConnectionString, """
            SELECT conname FROM pg_constraint
            UNION SELECT relname FROM pg_class WHERE relkind = 'i'
            """)).ToHashSet();
        known.UnionWith(SchemaScript.Embedded().SelectMany(s => RaisedRule().Matches(s.Sql).Select(m => m.Groups["code"].Value)));
        // Trigger refusals raised as a named constraint (RAISE ... USING CONSTRAINT = 'name').
        known.UnionWith(SchemaScript.Embedded().SelectMany(s => RaisedConstraint().Matches(s.Sql).Select(m => m.Groups["name"].Value)));
        // Positive control: both kinds are found.
        Assert.Contains("agents_name_key", known);
        Assert.Contains("plan_limit_projects", known);

        var unknown = refusals.Select(r => r.Key).Where(key => !known.Contains(key)).ToList();
        Assert.Empty(unknown);
    }

    [GeneratedRegex(@"RAISE EXCEPTION '(?<code>[a-z_]+)(?:\||')")]
    private static partial Regex RaisedRule();

    [GeneratedRegex(@"CONSTRAINT = '(?<name>[a-z_]+)'")]
    private static partial Regex RaisedConstraint();
}
