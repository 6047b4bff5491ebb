using TenantPortal.Features.AuditLog;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AuditLog;

public sealed class AuditLogServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private readonly Circuits circuits = new(fixture.Database);

    [Fact]
    public async Task Pages_are_keyset_paged_newest_first_without_overlap_and_only_of_the_active_organization()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await RecordAsync(world.OwnerA, world.OrgA, 120, "read");
        await RecordAsync(world.OwnerB, world.OrgB, 5, "read");
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var seen = new List<long>();
        long? cursor = null;
        AuditPage page;
        do
        {
            page = await owner.Audit.PageAsync(new AuditFilter(), cursor);
            Assert.True(page.Events.Count <= AuditLogService.PageSize);
            seen.AddRange(page.Events.Select(e => e.Seq));
            Assert.All(page.Events, e => Assert.Equal(world.OrgA, e.OrgId));
            cursor = page.OlderThan;
        }
        while (page.HasOlder);

        var total = await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString, "SELECT count(*) FROM audit_events WHERE org_id = @o", ("o", world.OrgA));
        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.OrderDescending(), seen);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Filters_narrow_by_action_status_entity_and_text()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using (var connection = await Tenants.OpenAsync(fixture.Database, world.OwnerA, world.OrgA))
        {
            await Tenants.ExecuteAsync(connection, """SELECT app.record_event('export', 'audit_events', NULL, '{"format": "csv", "note": "100%_done"}'::jsonb)""");
            await Tenants.ExecuteAsync(connection, """SELECT app.record_event('export', 'audit_events', NULL, '{"format": "jsonl"}'::jsonb, 'failure', 'disk full')""");
        }

        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var exports = await owner.Audit.PageAsync(new AuditFilter { Actions = ["export"] });
        var failures = await owner.Audit.PageAsync(new AuditFilter { Status = "failure" });
        var csv = await owner.Audit.PageAsync(new AuditFilter { Text = "CSV" });
        var literal = await owner.Audit.PageAsync(new AuditFilter { Text = "100%_d" });
        // As a wildcard, "_" would match the "o" of "done"; no event holds "d_ne" itself (key prefixes such as "v1_0…" could hold "1_0").
        var wildcard = await owner.Audit.PageAsync(new AuditFilter { Text = "d_ne" });
        var workspaces = await owner.Audit.PageAsync(new AuditFilter { EntityType = "workspaces" });
        var future = await owner.Audit.PageAsync(new AuditFilter { From = DateTime.UtcNow.AddDays(2) });

        Assert.Equal(2, exports.Events.Count);
        Assert.Equal("disk full", Assert.Single(failures.Events).ErrorMessage);
        Assert.Equal("export", Assert.Single(csv.Events).Action);
        Assert.Single(literal.Events);
        Assert.Empty(wildcard.Events); // "_" is a character to find, not a wildcard
        Assert.All(workspaces.Events, e => Assert.Equal("workspaces", e.EntityType));
        Assert.NotEmpty(workspaces.Events);
        Assert.Empty(future.Events);
    }

    [Fact]
    public async Task Date_ranges_find_exactly_the_events_of_their_days_with_and_without_other_filters()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using (var connection = await Tenants.OpenAsync(fixture.Database, world.OwnerA, world.OrgA))
        {
            for (var i = 0; i < 30; i++)
            {
                await Tenants.ExecuteAsync(connection, "SELECT app.record_event(@action)", ("action", i % 3 == 0 ? "export" : "read"));
            }
        }

        // The chain spread over ten days, times rising with seq as appending keeps them; seq 24 falls on midnight.
        await Sql.ExecuteAsync(fixture.Database.AdminConnectionString, """
            SET session_replication_role = replica;
            UPDATE audit_events SET occurred_at = timestamptz '2026-03-01 00:00Z' + seq * interval '7 hours' WHERE chain_key = @o;
            """, ("o", world.OrgA));
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var checkedRanges = 0;
        foreach (var (from, to) in new (DateTime?, DateTime?)[]
        {
            (new(2026, 3, 2), new(2026, 3, 2)), (new(2026, 3, 3), new(2026, 3, 5)), (new(2026, 3, 8), null),
            (null, new(2026, 3, 4)), (new(2026, 3, 8), new(2026, 3, 8)), (new(2026, 2, 1), new(2026, 2, 28)), (new(2026, 4, 1), null),
        })
        {
            foreach (var actions in new[] { Array.Empty<string>(), ["export"] })
            {
                var page = await owner.Audit.PageAsync(new AuditFilter { From = from, To = to, Actions = actions });
                var expected = await Sql.ColumnAsync(fixture.Database.AdminConnectionString, """
                    SELECT e.seq::text AS seq_text FROM audit_events e
                    WHERE chain_key = @o AND occurred_at >= coalesce(@from::timestamptz, '-infinity') AND occurred_at < coalesce(@to::timestamptz, 'infinity')
                      AND (cardinality(@actions) = 0 OR action = ANY (@actions))
                    ORDER BY e.seq DESC
                    """, ("o", world.OrgA), ("from", Utc(from)), ("to", Utc(to?.AddDays(1))), ("actions", actions));
                Assert.True(expected.SequenceEqual(page.Events.Select(e => e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture))), $"{from} {to} {string.Join(',', actions)}: {string.Join(',', expected)} / {string.Join(',', page.Events.Select(e => e.Seq + e.Action))}");
                checkedRanges += expected.Count > 0 ? 1 : 0;
            }
        }

        // The comparison was not vacuous: the five ranges that hold events (all but February and April) were checked
        // with events in them, without the action filter and, for most, with it (where exports fall on those days
        // depends on how many events the scenario wrote before them).
        Assert.InRange(checkedRanges, 8, 10);
    }

    [Fact]
    public async Task The_actor_filter_keeps_what_one_key_did_and_agents_are_named_with_their_key()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var second = await Tenants.CreateApiKeyAsync(fixture.Database, world.OwnerA, world.OrgA, world.AgentA, "second", "communicate");
        var viaSecond = await Tenants.PostMessageAsync(fixture.Database, second, "Through the second key.");
        var secondId = await Sql.ScalarAsync<Guid>(fixture.Database.AdminConnectionString, "SELECT id FROM api_keys WHERE name = 'second' AND org_id = @o", ("o", world.OrgA));
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var actors = await owner.Audit.ActorsAsync();
        var byKey = await owner.Audit.PageAsync(new AuditFilter { Actor = secondId });
        var byAgent = await owner.Audit.PageAsync(new AuditFilter { Actor = world.AgentA });

        Assert.Contains(actors, a => a.Id == secondId && a.Name == "greeter · key second");
        Assert.Contains(actors, a => a.Id == world.AgentA && a.Name == "greeter");
        var only = Assert.Single(byKey.Events);
        Assert.Equal(("message_send", viaSecond.ToString()), (only.Action, only.EntityId));
        // Positive control: the agent's own filter holds what it did with both keys.
        Assert.Equal(2, byAgent.Events.Select(e => e.ApiKeyId).Distinct().Count());
        Assert.Equal("greeter · key second", (await owner.Audit.ActorNamesAsync([secondId]))[secondId]);
    }

    [Fact]
    public async Task The_actor_filter_keeps_one_persons_events()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using (var member = await Tenants.OpenAsync(fixture.Database, world.OwnerA, world.OrgA))
        {
            await Tenants.ExecuteAsync(member, "UPDATE org_members SET role = 'admin' WHERE user_id = @u", ("u", world.MemberA));
        }

        await using (var admin = await Tenants.OpenAsync(fixture.Database, world.MemberA, world.OrgA))
        {
            await Tenants.ExecuteAsync(admin, "UPDATE workspaces SET name = 'Renamed by the admin' WHERE id = @w", ("w", world.GeneralA));
        }

        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var actors = await owner.Audit.ActorsAsync();
        var byMember = await owner.Audit.PageAsync(new AuditFilter { Actor = world.MemberA });

        // The people who acted, the scenario's agent (it posted a message and proposed a decision) and its key.
        var key = await Sql.ScalarAsync<Guid>(fixture.Database.AdminConnectionString, "SELECT id FROM api_keys WHERE org_id = @o", ("o", world.OrgA));
        Assert.Equal(new[] { world.MemberA, world.OwnerA, world.AgentA, key }.Order(), actors.Select(a => a.Id).Order());
        Assert.Equal("workspace_update", Assert.Single(byMember.Events).Action);
    }

    [Theory]
    [InlineData(true, "The start date is after the end date; swap them or change one.")]
    [InlineData(false, "Search with at most 200 characters.")]
    public async Task Bad_filters_are_explained_not_executed(bool invertedDates, string message)
    {
        var filter = invertedDates
            ? new AuditFilter { From = new DateTime(2026, 5, 2), To = new DateTime(2026, 5, 1) }
            : new AuditFilter { Text = new string('x', 201) };
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.Equal(message, filter.Problem);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => owner.Audit.PageAsync(filter));
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verifying_reports_the_chain_and_records_that_it_did()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var result = await owner.Audit.VerifyAsync();

        Assert.True(result.Ok, result.Problem);
        Assert.Equal(64, result.HeadHash.Length);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(fixture.Database.AdminConnectionString,
            "SELECT count(*) FROM audit_events WHERE org_id = @o AND action = 'chain_verify' AND details ->> 'ok' = 'true'", ("o", world.OrgA)));
    }

    [Fact]
    public async Task A_member_who_is_not_an_admin_sees_no_events()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await using var member = await circuits.OpenAsync(world.MemberA);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        Assert.Empty((await member.Audit.PageAsync(new AuditFilter())).Events);
        Assert.NotEmpty((await owner.Audit.PageAsync(new AuditFilter())).Events); // positive control
    }

    [Fact]
    public async Task Organization_Bs_events_never_reach_As_viewer_export_or_chart()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await RecordAsync(world.OwnerB, world.OrgB, 3, "secret_b_action");
        await using var a = await circuits.OpenAsync(world.OwnerA);
        await using var b = await circuits.OpenAsync(world.OwnerB);

        var page = await a.Audit.PageAsync(new AuditFilter());
        var exported = new List<AuditEvent>();
        await foreach (var e in a.Audit.StreamAsync(new AuditFilter()))
        {
            exported.Add(e);
        }

        var chart = await a.Audit.ActivityAsync(new AuditFilter());

        Assert.NotEmpty(page.Events);
        Assert.NotEmpty(exported);
        Assert.NotEmpty(chart);
        Assert.All(page.Events, e => Assert.Equal(world.OrgA, e.OrgId));
        Assert.All(exported, e => Assert.Equal(world.OrgA, e.OrgId));
        Assert.DoesNotContain(chart, c => c.Action == "secret_b_action");
        // Positive control: B sees its own action in its chart.
        Assert.Contains(await b.Audit.ActivityAsync(new AuditFilter()), c => c.Action == "secret_b_action" && c.Count == 3);
    }

    [Fact]
    public async Task The_chart_counts_events_per_day_and_action()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await RecordAsync(world.OwnerA, world.OrgA, 4, "read");
        await using var a = await circuits.OpenAsync(world.OwnerA);

        var chart = await a.Audit.ActivityAsync(new AuditFilter { Actions = ["read", "workspace_create"] });

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Equal([new AuditActivity(today, "read", 4), new AuditActivity(today, "workspace_create", 2)], chart);
    }

    [Fact]
    public async Task The_chart_from_daily_counts_matches_the_chart_from_the_events()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        await RecordAsync(world.OwnerA, world.OrgA, 3, "read");
        await using var a = await circuits.OpenAsync(world.OwnerA);
        var today = DateTime.UtcNow.Date;

        // The same questions, answered once from the daily counts and once by counting events (a status filter that
        // every event passes sends the chart to the events).
        foreach (var filter in new[]
        {
            new AuditFilter(), new AuditFilter { Actions = ["read", "project_create"] }, new AuditFilter { EntityType = "projects" },
            new AuditFilter { From = today, To = today }, new AuditFilter { From = today.AddDays(1) },
        })
        {
            Assert.True(AuditLogService.CountsSuffice(filter));
            var viaEvents = filter with { Status = "success" };
            Assert.False(AuditLogService.CountsSuffice(viaEvents));
            Assert.Equal(await a.Audit.ActivityAsync(viaEvents), await a.Audit.ActivityAsync(filter));
        }

        Assert.Contains(await a.Audit.ActivityAsync(new AuditFilter { EntityType = "projects" }), c => c.Action == "project_create");
        var (actions, entityTypes) = await a.Audit.VocabularyAsync();
        Assert.Contains("read", actions);
        Assert.Contains("projects", entityTypes);
        Assert.DoesNotContain("", entityTypes);
    }

    [Fact]
    public async Task Platform_admins_read_every_chain_and_nobody_else_can()
    {
        var world = await TwoTenants.CreateAsync(fixture.Database);
        var admin = await Tenants.PlatformAdminAsync(fixture.Database);
        await using (var session = await Tenants.OpenAsync(fixture.Database, world.OwnerB))
        {
            await Tenants.ExecuteAsync(session, "SELECT app.record_event('login')");
        }

        await using var platform = await circuits.OpenAsync(admin);
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var signIns = await platform.Audit.PageAsync(new AuditFilter(), chain: AuditLogService.PlatformChain);
        var globex = await platform.Audit.PageAsync(new AuditFilter(), chain: world.OrgB);
        var orgs = await platform.Audit.PlatformOrganizationsAsync();

        Assert.Contains(signIns.Events, e => e.Action == "login" && e.ActorId == world.OwnerB);
        Assert.NotEmpty(globex.Events);
        Assert.All(globex.Events, e => Assert.Equal(world.OrgB, e.OrgId));
        Assert.Contains(orgs, o => o.Id == world.OrgA);
        Assert.Contains(orgs, o => o.Id == world.OrgB);
        Assert.True((await platform.Audit.VerifyAsync(world.OrgB)).Ok);

        // An organization owner reads their own chain; choosing another one, or the platform's, is refused, and so is
        // the list of organizations.
        Assert.NotEmpty((await owner.Audit.PageAsync(new AuditFilter())).Events);
        Assert.NotEmpty((await owner.Audit.PageAsync(new AuditFilter(), chain: world.OrgA)).Events);
        foreach (var chain in new[] { world.OrgB, AuditLogService.PlatformChain })
        {
            var other = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => owner.Audit.PageAsync(new AuditFilter(), chain: chain));
            Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, other.SqlState);
        }

        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => owner.Audit.PlatformOrganizationsAsync());
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    private static object Utc(DateTime? day) => day is DateTime d ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : DBNull.Value;

    private async Task RecordAsync(Guid user, Guid org, int count, string action)
    {
        await using var connection = await Tenants.OpenAsync(fixture.Database, user, org);
        for (var i = 0; i < count; i++)
        {
            await Tenants.ExecuteAsync(connection, "SELECT app.record_event(@action)", ("action", action));
        }
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
