using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.AuditLog;

/// <summary>One entry of the append-only audit log (written only by the database).</summary>
[NotTenantFiltered("Platform admins read any organization's chain and everyone their own sign-ins; every query names its chain.")]
public sealed class AuditEvent
{
    public Guid ChainKey { get; set; }
    public long Seq { get; set; }
    public Guid? OrgId { get; set; }
    public Guid? WorkspaceId { get; set; }
    public Guid? ProjectId { get; set; }
    public string ActorType { get; set; } = "";
    public Guid? ActorId { get; set; }
    public Guid? ApiKeyId { get; set; }
    public string Action { get; set; } = "";
    public string? EntityType { get; set; }
    public string? EntityId { get; set; }
    public IPAddress? IpAddress { get; set; }
    public string? UserAgent { get; set; }
    public JsonDocument Details { get; set; } = JsonDocument.Parse("{}");
    public string Status { get; set; } = "success";
    public string? ErrorMessage { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public byte[] PrevHash { get; set; } = [];
    public byte[] Hash { get; set; } = [];
}

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> builder)
    {
        builder.ToTable("audit_events");
        builder.HasKey(e => new { e.ChainKey, e.Seq });
        builder.Property(e => e.Details).HasColumnType("jsonb");
    }
}
