using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AuditLog;

public sealed class AuditChainTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Theory]
    [InlineData("UPDATE audit_events SET action = 'forged'")]
    [InlineData("DELETE FROM audit_events")]
    [InlineData("TRUNCATE audit_events")]
    public async Task Nobody_changes_or_removes_events_not_even_the_owner(string statement)
    {
        var world = await TwoTenants.CreateAsync(Db);
        var before = await CountAsync(world.OrgA);

        await using (var app = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            var asApp = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(app, statement));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, asApp.SqlState);
        }

        var asOwner = await Assert.ThrowsAsync<PostgresException>(() => Sql.ExecuteAsync(Db.OwnerConnectionString, statement));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, asOwner.SqlState);
        Assert.Contains("append-only", asOwner.MessageText, StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync(world.OrgA));
    }

    [Fact]
    public async Task Eight_writers_appending_a_thousand_events_to_one_chain_leave_it_whole()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var before = await CountAsync(world.OrgA);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async writer =>
        {
            await using var connection = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
            for (var i = 0; i < 125; i++)
            {
                await Tenants.ExecuteAsync(connection, "SELECT app.record_event('read', 'test', @id)", ("id", $"{writer}-{i}"));
            }
        }));

        var result = await VerifyAsync(world.OwnerA, world.OrgA);
        Assert.True(result.Ok, result.Problem);
        Assert.Equal(before + 1000, result.Events);
        Assert.Equal(before + 1000, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(DISTINCT seq) FROM audit_events WHERE chain_key = @o AND seq BETWEEN 1 AND @n", ("o", world.OrgA), ("n", before + 1000)));
    }

    [Fact]
    public async Task An_event_is_never_stamped_earlier_than_the_one_before_it()
    {
        var world = await TwoTenants.CreateAsync(Db);
        // The chain's newest event an hour ahead of the clock, as if the server's clock had since stepped back.
        await Sql.ExecuteAsync(Db.AdminConnectionString, """
            SET session_replication_role = replica;
            UPDATE audit_events SET occurred_at = now() + interval '1 hour'
            WHERE chain_key = @o AND seq = (SELECT max(seq) FROM audit_events WHERE chain_key = @o);
            UPDATE audit_chain_heads SET occurred_at = now() + interval '1 hour' WHERE chain_key = @o;
            """, ("o", world.OrgA));

        await using (var connection = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            await Tenants.ExecuteAsync(connection, "SELECT app.record_event('read')");
        }

        Assert.True(await Sql.ScalarAsync<bool>(Db.AdminConnectionString, """
            SELECT e.action = 'read' AND e.occurred_at >= p.occurred_at AND p.occurred_at > now() + interval '50 minutes'
            FROM audit_events e JOIN audit_events p ON p.chain_key = e.chain_key AND p.seq = e.seq - 1
            WHERE e.chain_key = @o AND e.seq = (SELECT max(seq) FROM audit_events WHERE chain_key = @o)
            """, ("o", world.OrgA)));
    }

    [Fact]
    public async Task An_edited_event_is_named_by_the_verifier()
    {
        var world = await TwoTenants.CreateAsync(Db);
        Assert.True((await VerifyAsync(world.OwnerA, world.OrgA)).Ok); // positive control

        // Only a superuser disabling triggers can do this; the chain still gives it away.
        await Sql.ExecuteAsync(Db.AdminConnectionString, """
            SET session_replication_role = replica;
            UPDATE audit_events SET details = '{"forged": true}' WHERE chain_key = @o AND seq = 3;
            """, ("o", world.OrgA));

        var result = await VerifyAsync(world.OwnerA, world.OrgA);
        Assert.False(result.Ok);
        Assert.Equal(3, result.BrokenSeq);
        Assert.Equal("content does not match its hash", result.Problem);
        Assert.Equal(2, result.Events);
    }

    [Fact]
    public async Task A_removed_event_is_named_by_the_verifier()
    {
        var world = await TwoTenants.CreateAsync(Db);

        await Sql.ExecuteAsync(Db.AdminConnectionString, """
            SET session_replication_role = replica;
            DELETE FROM audit_events WHERE chain_key = @o AND seq = 2;
            """, ("o", world.OrgA));

        var result = await VerifyAsync(world.OwnerA, world.OrgA);
        Assert.False(result.Ok);
        Assert.Equal(2, result.BrokenSeq);
        Assert.Equal("event 2 is missing", result.Problem);
    }

    [Fact]
    public async Task Only_owners_and_admins_read_and_verify_their_organizations_events()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        await using var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);

        Assert.True(await Tenants.CountAsync(owner, "SELECT count(*) FROM audit_events") > 0); // positive control
        Assert.Equal(0, await Tenants.CountAsync(owner, "SELECT count(*) FROM audit_events WHERE org_id <> @a OR org_id IS NULL", ("a", world.OrgA)));
        Assert.Equal(0, await Tenants.CountAsync(member, "SELECT count(*) FROM audit_events"));
        var memberVerify = await Assert.ThrowsAsync<PostgresException>(() => VerifyAsync(world.MemberA, world.OrgA));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, memberVerify.SqlState);
        var foreignVerify = await Assert.ThrowsAsync<PostgresException>(() => VerifyAsync(world.OwnerA, world.OrgA, chain: world.OrgB));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, foreignVerify.SqlState);
    }

    [Fact]
    public async Task Platform_events_go_to_the_platform_chain_and_each_user_reads_only_their_own()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using (var session = await Tenants.OpenAsync(Db, world.MemberA))
        {
            await Tenants.ExecuteAsync(session, "SELECT app.record_event('login')");
        }

        await using (var other = await Tenants.OpenAsync(Db, world.OwnerB))
        {
            await Tenants.ExecuteAsync(other, "SELECT app.record_event('login')");
            // Their own sign-in through the view, not the other person's; the table itself shows a session no chain.
            Assert.Equal(1, await Tenants.CountAsync(other, "SELECT count(*) FROM own_platform_events WHERE action = 'login'"));
            Assert.Equal(0, await Tenants.CountAsync(other, "SELECT count(*) FROM own_platform_events WHERE actor_id = @m", ("m", world.MemberA)));
            Assert.Equal(0, await Tenants.CountAsync(other, "SELECT count(*) FROM audit_events"));
        }

        Assert.True(await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT count(*) FROM audit_events WHERE org_id IS NULL AND chain_key = '00000000-0000-0000-0000-000000000000' AND action = 'login'") >= 2);
    }

    [Fact]
    public async Task A_context_reads_one_chain_and_only_platform_admins_choose_another()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var admin = await Tenants.PlatformAdminAsync(Db);
        const string chainCounts = "SELECT count(*) FILTER (WHERE chain_key = @a) * 1000000 + count(*) FILTER (WHERE chain_key <> @a) FROM audit_events";
        var a = ("a", (object)world.OrgA);

        // The owner reads their organization's chain and nothing else, with no filter of their own.
        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            var own = await Tenants.CountAsync(owner, chainCounts, a);
            Assert.True(own >= 1_000_000 && own % 1_000_000 == 0, $"owner of A: {own}");
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(owner, "SELECT app.view_audit_chain(@b)", ("b", world.OrgB)));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            Assert.Equal(own, await Tenants.CountAsync(owner, chainCounts, a));
        }

        // A member reads no chain and cannot choose one, not even their organization's.
        await using (var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA))
        {
            Assert.Equal(0, await Tenants.CountAsync(member, "SELECT count(*) FROM audit_events"));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(member, "SELECT app.view_audit_chain(@a)", a));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        // A platform admin reads the chain they choose, that one only; a chain set by hand is no chain at all.
        await using var platform = await Tenants.OpenAsync(Db, admin);
        Assert.Equal(0, await Tenants.CountAsync(platform, "SELECT count(*) FROM audit_events"));
        await Tenants.ExecuteAsync(platform, "SELECT app.view_audit_chain(@b)", ("b", world.OrgB));
        Assert.Equal(await CountAsync(world.OrgB), await Tenants.CountAsync(platform, "SELECT count(*) FROM audit_events"));
        Assert.Equal(0, await Tenants.CountAsync(platform, "SELECT count(*) FROM audit_events WHERE chain_key = @a", a));
        await Tenants.ExecuteAsync(platform, $"SET app.audit_chain = '{world.OrgA}'");
        Assert.Equal(0, await Tenants.CountAsync(platform, "SELECT count(*) FROM audit_events"));
    }

    [Fact]
    public async Task Daily_counts_match_the_events_of_every_chain()
    {
        var world = await TwoTenants.CreateAsync(Db);
        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            await Tenants.ExecuteAsync(owner, "SELECT app.record_event('export', 'audit_events', NULL, '{}'::jsonb)");
            await Tenants.ExecuteAsync(owner, "SELECT app.record_event('read')");
        }

        await using (var session = await Tenants.OpenAsync(Db, world.MemberA))
        {
            await Tenants.ExecuteAsync(session, "SELECT app.record_event('login')");
        }

        // Each of this scenario's chains (other tests of the class tamper with theirs), day, action and entity type: the
        // kept count equals the events' own count, both ways round.
        const string events = "SELECT chain_key, app.utc_day(occurred_at) AS day, action, coalesce(entity_type, '') AS entity_type, count(*) AS events FROM audit_events WHERE chain_key IN (@a, @b) GROUP BY 1, 2, 3, 4";
        const string kept = "SELECT chain_key, day, action, entity_type, events FROM audit_daily_counts WHERE chain_key IN (@a, @b)";
        var chains = new[] { ("a", (object)world.OrgA), ("b", world.OrgB) };
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, $"SELECT count(*) FROM (({events}) EXCEPT ({kept})) d", chains));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, $"SELECT count(*) FROM (({kept}) EXCEPT ({events})) d", chains));
        Assert.True(await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM audit_daily_counts WHERE chain_key = @a", ("a", world.OrgA)) >= 3);
        Assert.True(await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT events FROM audit_daily_counts WHERE chain_key = '00000000-0000-0000-0000-000000000000' AND day = app.utc_day(now()) AND action = 'login' AND entity_type = ''") >= 1);

        // Requests read them as they read the log (one chain) and cannot write them.
        await using var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
        Assert.Equal(0, await Tenants.CountAsync(member, "SELECT count(*) FROM audit_daily_counts"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => Tenants.ExecuteAsync(member, "UPDATE audit_daily_counts SET events = events + 1"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task Text_search_finds_only_in_the_chain_the_context_reads()
    {
        var world = await TwoTenants.CreateAsync(Db);
        const string search = "SELECT count(*) FROM app.audit_text_matches('%only-at-globex%')";
        await using (var globex = await Tenants.OpenAsync(Db, world.OwnerB, world.OrgB))
        {
            await Tenants.ExecuteAsync(globex, """SELECT app.record_event('note', NULL, NULL, '{"text": "only-at-globex"}'::jsonb)""");
            Assert.Equal(1, await Tenants.CountAsync(globex, search));
        }

        await using (var acme = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            Assert.Equal(0, await Tenants.CountAsync(acme, search));
            Assert.True(await Tenants.CountAsync(acme, "SELECT count(*) FROM app.audit_text_matches('%')") > 0);
        }

        // A member reads no chain, so finds nothing, not even in their own organization's.
        await using var member = await Tenants.OpenAsync(Db, world.MemberA, world.OrgA);
        Assert.Equal(0, await Tenants.CountAsync(member, "SELECT count(*) FROM app.audit_text_matches('%')"));
    }

    private async Task<long> CountAsync(Guid org) =>
        await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM audit_events WHERE org_id = @o", ("o", org));

    private async Task<(bool Ok, long Events, long? BrokenSeq, string? Problem)> VerifyAsync(Guid user, Guid org, Guid? chain = null)
    {
        await using var connection = await Tenants.OpenAsync(Db, user, org);
        await using var command = new NpgsqlCommand("SELECT ok, events, broken_seq, problem FROM app.verify_audit_chain(@c)", connection);
        command.Parameters.AddWithValue("c", chain ?? org);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return (reader.GetBoolean(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }
}
