using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Features.Organizations;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Members;

/// <summary>An invitation to join an organization; only the SHA-256 of its token is stored.</summary>
public sealed class OrgInvitation : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid Id { get; set; }
    public string Email { get; set; } = "";
    public string Role { get; set; } = "";
    public List<Guid> WorkspaceIds { get; set; } = [];
    public byte[] TokenHash { get; set; } = [];
    public Guid? InvitedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset LastSentAt { get; set; }
    public int SendCount { get; set; } = 1;
    public DateTimeOffset? AcceptedAt { get; set; }
    public Guid? AcceptedBy { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public Guid? RevokedBy { get; set; }
}

internal sealed class OrgInvitationConfiguration : IEntityTypeConfiguration<OrgInvitation>
{
    public void Configure(EntityTypeBuilder<OrgInvitation> builder)
    {
        builder.ToTable("org_invitations");
        builder.HasKey(i => new { i.OrgId, i.Id });
        builder.Property(i => i.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(i => i.WorkspaceIds).HasColumnType("uuid[]");
        builder.Property(i => i.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.Property(i => i.ExpiresAt).HasDefaultValueSql("now() + interval '7 days'").ValueGeneratedOnAdd();
        builder.Property(i => i.LastSentAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.HasIndex(i => i.TokenHash).IsUnique().HasDatabaseName("org_invitations_token_hash_key");
        builder.HasOne<Organization>().WithMany().HasForeignKey(i => i.OrgId);
    }
}
