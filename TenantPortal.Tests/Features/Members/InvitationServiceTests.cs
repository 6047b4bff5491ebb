using TenantPortal.Tenancy;
using TenantPortal.Tests.Infrastructure;

namespace TenantPortal.Tests.Features.Members;

public sealed class InvitationServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncDisposable
{
    private const string BaseUri = "https://portal.example/";

    private readonly Circuits circuits = new(fixture.Database);

    private TestDatabase Db => fixture.Database;

    private static string TokenOf(string url) => url[(url.LastIndexOf('/') + 1)..];

    private Task<long> MembershipsAsync(Guid org, Guid user) =>
        Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM org_members WHERE org_id = @o AND user_id = @u", ("o", org), ("u", user));

    [Fact]
    public async Task An_invitee_with_the_matching_email_accepts_once_and_joins_with_the_role_and_workspaces()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        var (result, link) = await owner.Invitations.InviteAsync($" New.Person-{tag}@Example.com ", OrgRole.Member, [world.SecondA], BaseUri);

        Assert.True(result.Succeeded, result.Message);
        Assert.StartsWith("https://portal.example/invite/", link!.Url, StringComparison.Ordinal);
        var mail = Assert.Single(circuits.Mail.Sent, m => m.To == $"new.person-{tag}@example.com");
        Assert.Equal(link.Url, mail.ActionLink);
        Assert.Contains(await owner.Invitations.PendingAsync(), i => i.Email == $"new.person-{tag}@example.com" && i.Workspaces == 1);

        // The token is nowhere in the database: not in the invitation row, not in the audit log.
        var token = TokenOf(link.Url);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString,
            "SELECT (SELECT count(*) FROM org_invitations i WHERE i::text LIKE @t) + (SELECT count(*) FROM audit_events e WHERE e::text LIKE @t)", ("t", $"%{token}%")));

        var invitee = await Tenants.CreateUserAsync(Db, $"NEW.PERSON-{tag}@example.COM");
        await using var circuit = await circuits.OpenAsync(invitee);
        var preview = await circuit.Invitations.PreviewAsync(token);
        Assert.Equal(("Acme", "pending", OrgRole.Member), (preview!.OrgName, preview.State, preview.Role));

        var accepted = await circuit.Invitations.AcceptAsync(token);

        Assert.True(accepted.Succeeded, accepted.Message);
        Assert.Equal(world.OrgA, circuit.Tenant.OrgId);
        Assert.Equal(OrgRole.Member, circuit.Tenant.OrgRole);
        Assert.Equal([world.SecondA], circuit.Session.Organizations.Single().Workspaces.Select(w => w.Id));
        Assert.Equal("used", (await circuit.Invitations.PreviewAsync(token))!.State);

        var again = await circuit.Invitations.AcceptAsync(token);
        Assert.Equal("This invitation has already been used. If that was not you, ask the organization for a new one.", again.Message);
        var actions = await Sql.ColumnAsync(Db.AdminConnectionString,
            "SELECT action FROM audit_events WHERE org_id = @o AND actor_id = @u ORDER BY seq", ("o", world.OrgA), ("u", invitee));
        Assert.Equal(["member_add", "permission_grant", "invitation_accept"], actions);
    }

    [Fact]
    public async Task Wrong_user_expired_revoked_and_unknown_tokens_are_refused_and_change_nothing()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var stranger = await Tenants.CreateUserAsync(Db, $"stranger-{tag}@example.com");
        var expiredUser = await Tenants.CreateUserAsync(Db, $"late-{tag}@example.com");
        var revokedUser = await Tenants.CreateUserAsync(Db, $"revoked-{tag}@example.com");
        var (_, forSomeoneElse) = await owner.Invitations.InviteAsync($"someone-{tag}@example.com", OrgRole.Admin, [], BaseUri);
        var (_, expired) = await owner.Invitations.InviteAsync($"late-{tag}@example.com", OrgRole.Viewer, [], BaseUri);
        // Expired invitations no longer count against the Free plan's five members.
        await Sql.ExecuteAsync(Db.AdminConnectionString, "UPDATE org_invitations SET expires_at = now() - interval '1 second' WHERE email = @e", ("e", $"late-{tag}@example.com"));
        var (_, revoked) = await owner.Invitations.InviteAsync($"revoked-{tag}@example.com", OrgRole.Viewer, [], BaseUri);
        var revokedId = (await owner.Invitations.PendingAsync()).Single(i => i.Email == $"revoked-{tag}@example.com").Id;
        Assert.True((await owner.Invitations.RevokeAsync(revokedId)).Succeeded);

        await using (var circuit = await circuits.OpenAsync(stranger))
        {
            Assert.Equal("This invitation was sent to another email address. Sign in with that address to accept it.",
                (await circuit.Invitations.AcceptAsync(TokenOf(forSomeoneElse!.Url))).Message);
            Assert.StartsWith("This invitation link is not valid.", (await circuit.Invitations.AcceptAsync("not-a-token")).Message, StringComparison.Ordinal);
            Assert.StartsWith("This invitation link is not valid.", (await circuit.Invitations.AcceptAsync(new string('A', 43))).Message, StringComparison.Ordinal);
            Assert.Null(circuit.Tenant.OrgId);
        }

        await using (var circuit = await circuits.OpenAsync(expiredUser))
        {
            Assert.Equal("expired", (await circuit.Invitations.PreviewAsync(TokenOf(expired!.Url)))!.State);
            Assert.StartsWith("This invitation has expired", (await circuit.Invitations.AcceptAsync(TokenOf(expired.Url))).Message, StringComparison.Ordinal);
        }

        await using (var circuit = await circuits.OpenAsync(revokedUser))
        {
            Assert.Equal("This invitation was revoked. Ask the organization for a new one.", (await circuit.Invitations.AcceptAsync(TokenOf(revoked!.Url))).Message);
        }

        foreach (var user in new[] { stranger, expiredUser, revokedUser })
        {
            Assert.Equal(0L, await MembershipsAsync(world.OrgA, user));
        }

        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM org_invitations WHERE org_id = @o AND accepted_at IS NOT NULL", ("o", world.OrgA)));
        Assert.Contains("invitation_revoke", await Sql.ColumnAsync(Db.AdminConnectionString, "SELECT action FROM audit_events WHERE org_id = @o", ("o", world.OrgA)));
    }

    [Fact]
    public async Task Resending_renews_the_link_and_the_old_one_stops_working()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var owner = await circuits.OpenAsync(world.OwnerA);
        var (_, first) = await owner.Invitations.InviteAsync($"again-{tag}@example.com", OrgRole.Member, [], BaseUri);
        var id = (await owner.Invitations.PendingAsync()).Single(i => i.Email == $"again-{tag}@example.com").Id;

        var (resent, second) = await owner.Invitations.ResendAsync(id, BaseUri);

        Assert.True(resent.Succeeded);
        Assert.NotEqual(first!.Url, second!.Url);
        Assert.Equal(2, (await owner.Invitations.PendingAsync()).Single(i => i.Id == id).SendCount);
        Assert.Equal(2, circuits.Mail.Sent.Count(m => m.To == $"again-{tag}@example.com"));
        var invitee = await Tenants.CreateUserAsync(Db, $"again-{tag}@example.com");
        await using var circuit = await circuits.OpenAsync(invitee);
        Assert.Null(await circuit.Invitations.PreviewAsync(TokenOf(first.Url)));
        Assert.StartsWith("This invitation link is not valid.", (await circuit.Invitations.AcceptAsync(TokenOf(first.Url))).Message, StringComparison.Ordinal);
        Assert.True((await circuit.Invitations.AcceptAsync(TokenOf(second.Url))).Succeeded);
    }

    [Fact]
    public async Task Pending_invitations_count_against_the_member_limit()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var tag = Guid.NewGuid().ToString("N")[..8];
        await using var owner = await circuits.OpenAsync(world.OwnerA);

        // Two members and one pending invitation already; the Free plan allows five.
        Assert.True((await owner.Invitations.InviteAsync($"fourth-{tag}@example.com", OrgRole.Member, [], BaseUri)).Result.Succeeded);
        Assert.True((await owner.Invitations.InviteAsync($"fifth-{tag}@example.com", OrgRole.Member, [], BaseUri)).Result.Succeeded);
        var (sixth, link) = await owner.Invitations.InviteAsync($"sixth-{tag}@example.com", OrgRole.Member, [], BaseUri);

        Assert.Null(link);
        Assert.StartsWith("The Free plan allows 5 members per organization, pending invitations included", sixth.Message, StringComparison.Ordinal);
        Assert.Equal(3L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM org_invitations WHERE org_id = @o", ("o", world.OrgA)));
        var usage = await owner.Plans.UsageAsync();
        Assert.Equal((2L, 3L, 5), (usage!.Members, usage.PendingInvitations, usage.MaxMembers));
    }

    [Fact]
    public async Task Bad_addresses_members_duplicates_and_roles_beyond_the_inviter_are_refused()
    {
        var world = await TwoTenants.CreateAsync(Db);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var memberEmail = await Sql.ScalarAsync<string>(Db.AdminConnectionString, "SELECT email FROM users WHERE id = @u", ("u", world.MemberA));
        await using (var owner = await circuits.OpenAsync(world.OwnerA))
        {
            Assert.Equal("Email", (await owner.Invitations.InviteAsync("not an address", OrgRole.Member, [], BaseUri)).Result.Field);
            Assert.Equal($"{memberEmail} is already a member of Acme.", (await owner.Invitations.InviteAsync(memberEmail!.ToUpperInvariant(), OrgRole.Member, [], BaseUri)).Result.Message);
            Assert.True((await owner.Invitations.InviteAsync($"twice-{tag}@example.com", OrgRole.Member, [], BaseUri)).Result.Succeeded);
            var twice = (await owner.Invitations.InviteAsync($"Twice-{tag}@example.com", OrgRole.Viewer, [], BaseUri)).Result;
            Assert.Equal(("Email", "An invitation to this address is already open; resend it from the list instead."), (twice.Field, twice.Message));
            Assert.True((await owner.Members.ChangeRoleAsync(world.MemberA, OrgRole.Admin)).Succeeded);
        }

        await using var admin = await circuits.OpenAsync(world.MemberA);
        var ownerInvite = (await admin.Invitations.InviteAsync($"boss-{tag}@example.com", OrgRole.Owner, [], BaseUri)).Result;
        Assert.Equal("Only an owner can invite another owner.", ownerInvite.Message);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(Db.AdminConnectionString, "SELECT count(*) FROM org_invitations WHERE email = @e", ("e", $"boss-{tag}@example.com")));
    }

    public ValueTask DisposeAsync() => circuits.DisposeAsync();
}
