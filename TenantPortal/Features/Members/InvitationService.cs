using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;
using TenantPortal.Features.Email;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Members;

public sealed record InvitationRow(Guid Id, string Email, string Role, int Workspaces, string? InvitedBy, DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt, DateTimeOffset LastSentAt, int SendCount)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;
}

/// <summary>What the holder of an invitation link sees before accepting.</summary>
public sealed record InvitationPreview(Guid OrgId, string OrgName, string Email, string Role, string? InvitedByEmail, DateTimeOffset ExpiresAt, string State);

/// <summary>The link just created or resent: shown once to the inviter (and mailed); only its hash is stored.</summary>
public sealed record InvitationLink(string Email, string Url);

/// <summary>Invitations to the active organization, and accepting one as the signed-in user.</summary>
public sealed class InvitationService(IDbContextFactory<PortalDbContext> dbFactory, TenantContext tenant, TenantSession session, IPortalMail mail)
{
    public async Task<List<InvitationRow>> PendingAsync(CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.OrgInvitations.Where(i => i.AcceptedAt == null && i.RevokedAt == null)
            .OrderBy(i => i.Email)
            .Select(i => new InvitationRow(i.Id, i.Email, i.Role, i.WorkspaceIds.Count,
                db.Users.Where(u => u.Id == i.InvitedBy).Select(u => u.Email).SingleOrDefault(),
                i.CreatedAt, i.ExpiresAt, i.LastSentAt, i.SendCount))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Invites <paramref name="email"/> with a role (and, for members and viewers, workspaces); mails the link and returns it.</summary>
    public async Task<(OperationResult Result, InvitationLink? Link)> InviteAsync(string email, string role, IReadOnlyCollection<Guid> workspaceIds,
        string baseUri, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        var address = (email ?? "").Trim().ToLowerInvariant();
        if (Refuse(role) is OperationResult refused)
        {
            return (refused, null);
        }

        if (address.Length == 0 || address.Length > 256 || !new EmailAddressAttribute().IsValid(address) || !address.Contains('.', StringComparison.Ordinal))
        {
            return (OperationResult.Fail("Enter an email address such as name@example.com.", "Email"), null);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var normalized = address.ToUpperInvariant();
        if (await db.OrgMembers.AnyAsync(m => m.User!.NormalizedEmail == normalized, cancellationToken))
        {
            return (OperationResult.Fail($"{address} is already a member of {tenant.OrgName}.", "Email"), null);
        }

        var token = NewToken();
        db.OrgInvitations.Add(new OrgInvitation
        {
            OrgId = tenant.RequireOrg(),
            Email = address,
            Role = role,
            WorkspaceIds = OrgRole.CanManage(role) ? [] : [.. workspaceIds.Distinct()],
            TokenHash = Hash(token),
            InvitedBy = tenant.UserId,
        });
        var result = await OperationResult.RunAsync(async () => await db.SaveChangesAsync(cancellationToken) == 1);
        return result.Succeeded ? (result, await SendAsync(address, role, token, baseUri)) : (result, null);
    }

    /// <summary>Sends a pending invitation again with a new link valid for another 7 days; the previous link stops working.</summary>
    public async Task<(OperationResult Result, InvitationLink? Link)> ResendAsync(Guid id, string baseUri, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (Refuse(null) is OperationResult refused)
        {
            return (refused, null);
        }

        var token = NewToken();
        var hash = Hash(token);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var invitation = await db.OrgInvitations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.AcceptedAt == null && i.RevokedAt == null, cancellationToken);
        if (invitation is null)
        {
            return (OperationResult.Fail("This invitation is no longer open."), null);
        }

        var now = DateTimeOffset.UtcNow;
        var result = await OperationResult.RunAsync(async () => await db.OrgInvitations
            .Where(i => i.Id == id && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(i => i.TokenHash, hash)
                .SetProperty(i => i.ExpiresAt, now.AddDays(7))
                .SetProperty(i => i.LastSentAt, now)
                .SetProperty(i => i.SendCount, i => i.SendCount + 1), cancellationToken) == 1);
        return result.Succeeded ? (result, await SendAsync(invitation.Email, invitation.Role, token, baseUri)) : (result, null);
    }

    public async Task<OperationResult> RevokeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        tenant.RequireOrg();
        if (Refuse(null) is OperationResult refused)
        {
            return refused;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await OperationResult.RunAsync(async () => await db.OrgInvitations
            .Where(i => i.Id == id && i.AcceptedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RevokedAt, DateTimeOffset.UtcNow).SetProperty(i => i.RevokedBy, tenant.UserId), cancellationToken) == 1);
    }

    /// <summary>The invitation behind a link, or null when the token matches none.</summary>
    public async Task<InvitationPreview?> PreviewAsync(string token, CancellationToken cancellationToken = default)
    {
        if (TryHash(token) is not byte[] hash)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.SqlQuery<InvitationPreview>($"""
            SELECT org_id AS "OrgId", org_name AS "OrgName", email AS "Email", role AS "Role", invited_by_email AS "InvitedByEmail",
                   expires_at AS "ExpiresAt", state AS "State"
            FROM app.invitation_preview({hash})
            """).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Accepts the invitation as the signed-in user and switches to its organization.</summary>
    public async Task<OperationResult> AcceptAsync(string token, CancellationToken cancellationToken = default)
    {
        tenant.RequireUser();
        var hash = TryHash(token) ?? new byte[32];
        Guid orgId = default;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var result = await OperationResult.RunAsync(async () =>
            {
                orgId = await db.Database.SqlQuery<Guid>($"SELECT app.accept_invitation({hash}) AS \"Value\"").SingleAsync(cancellationToken);
                return true;
            });
            if (!result.Succeeded)
            {
                return result;
            }
        }

        await session.SwitchAsync(orgId, null, cancellationToken);
        return OperationResult.Ok;
    }

    private OperationResult? Refuse(string? role)
    {
        if (!tenant.CanManage)
        {
            return OperationResult.Fail("Only organization owners and admins can invite people.");
        }

        if (role is not null && !OrgRole.All.Contains(role))
        {
            return OperationResult.Fail("Choose owner, admin, member or viewer.", "Role");
        }

        return role == OrgRole.Owner && !tenant.IsOwner ? OperationResult.Fail("Only an owner can invite another owner.", "Role") : null;
    }

    private async Task<InvitationLink> SendAsync(string email, string role, string token, string baseUri)
    {
        var url = $"{baseUri.TrimEnd('/')}/invite/{token}";
        await mail.SendAsync(email, $"You are invited to {tenant.OrgName} on TenantPortal",
            $"You have been invited to join {tenant.OrgName} as {OrgRole.Label(role).ToLowerInvariant()}. The link is valid for 7 days and works once.",
            $"Join {tenant.OrgName}", url);
        return new InvitationLink(email, url);
    }

    /// <summary>32 random bytes, base64url: 43 characters.</summary>
    internal static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    internal static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token));

    private static byte[]? TryHash(string? token) =>
        token is { Length: 43 } && Base64Url.IsValid(token) ? Hash(token) : null;
}
