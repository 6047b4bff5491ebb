using Npgsql;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.AuditLog;

/// <summary>Each event names the encoding its hash was sealed with; old events keep verifying after the encoding changed.</summary>
public sealed class AuditEncodingTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task New_events_are_sealed_with_the_unambiguous_encoding()
    {
        var world = await TwoTenants.CreateAsync(Db);

        Assert.Equal(["2"], await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT DISTINCT hash_version::text FROM audit_events WHERE chain_key = @o", ("o", world.OrgA)));
    }

    [Fact]
    public async Task Two_neighbouring_fields_trading_places_change_the_hash_only_in_the_new_encoding()
    {
        var world = await TwoTenants.CreateAsync(Db);
        // The same event twice: entity_type NULL with entity_id 'x', then entity_type 'x' with entity_id NULL.
        async Task<(string First, string Swapped)> HashesAsync(int version) => (
            await HashAsync(world.OrgA, version, """{"entity_type": null, "entity_id": "x"}"""),
            await HashAsync(world.OrgA, version, """{"entity_type": "x", "entity_id": null}"""));

        var v1 = await HashesAsync(1);
        var v2 = await HashesAsync(2);

        Assert.Equal(v1.First, v1.Swapped);  // the defect of encoding 1: concat_ws skips NULLs
        Assert.NotEqual(v2.First, v2.Swapped);
    }

    [Fact]
    public async Task A_chain_begun_with_the_first_encoding_verifies_and_goes_on_with_the_second()
    {
        var world = await TwoTenants.CreateAsync(Db);
        // Rewrite the organization's chain as a database written before encoding 2 would hold it (a superuser, triggers off).
        await Sql.ExecuteAsync(Db.AdminConnectionString, """
            SET session_replication_role = replica;
            DO $$
            DECLARE
                e audit_events;
                v_prev bytea := '\x';
                v_hash bytea;
            BEGIN
                FOR e IN SELECT * FROM audit_events WHERE chain_key = current_setting('test.chain')::uuid ORDER BY seq LOOP
                    v_hash := app.audit_hash(v_prev, jsonb_populate_record(e, '{"hash_version": 1}'));
                    UPDATE audit_events SET hash_version = 1, prev_hash = v_prev, hash = v_hash WHERE chain_key = e.chain_key AND seq = e.seq;
                    v_prev := v_hash;
                END LOOP;
                UPDATE audit_chain_heads SET hash = v_prev WHERE chain_key = current_setting('test.chain')::uuid;
            END;
            $$;
            """.Replace("current_setting('test.chain')", $"'{world.OrgA}'", StringComparison.Ordinal));
        Assert.Equal(["1"], await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT DISTINCT hash_version::text FROM audit_events WHERE chain_key = @o", ("o", world.OrgA)));
        Assert.True((await VerifyAsync(world)).Ok);

        await using (var owner = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA))
        {
            await Tenants.ExecuteAsync(owner, "UPDATE projects SET name = 'Website 2' WHERE id = @p", ("p", world.ProjectA));
        }

        var mixed = await VerifyAsync(world);
        Assert.True(mixed.Ok, mixed.Problem);
        Assert.Equal(["1", "2"], await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT DISTINCT hash_version::text FROM audit_events WHERE chain_key = @o ORDER BY 1", ("o", world.OrgA)));

        // Negative control: claiming the other encoding for an old event breaks the chain there.
        await Sql.ExecuteAsync(Db.AdminConnectionString, """
            SET session_replication_role = replica;
            UPDATE audit_events SET hash_version = 2 WHERE chain_key = @o AND seq = 2;
            """, ("o", world.OrgA));
        var broken = await VerifyAsync(world);
        Assert.False(broken.Ok);
        Assert.Equal((2L, "content does not match its hash"), (broken.BrokenSeq, broken.Problem));
    }

    private async Task<string> HashAsync(Guid chain, int version, string change) => (await Sql.ScalarAsync<string>(Db.AdminConnectionString, """
        SELECT encode(app.audit_hash('\x', jsonb_populate_record(e, jsonb_build_object('hash_version', @v) || @change::jsonb)), 'hex')
        FROM audit_events e WHERE e.chain_key = @c AND e.seq = 1
        """, ("v", version), ("change", change), ("c", chain)))!;

    private async Task<(bool Ok, long? BrokenSeq, string? Problem)> VerifyAsync(TwoTenants world)
    {
        await using var connection = await Tenants.OpenAsync(Db, world.OwnerA, world.OrgA);
        await using var command = new NpgsqlCommand("SELECT ok, broken_seq, problem FROM app.verify_audit_chain(@c)", connection);
        command.Parameters.AddWithValue("c", world.OrgA);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return (reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2));
    }
}
