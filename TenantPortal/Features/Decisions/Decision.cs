using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Decisions;

/// <summary>A decision an agent proposed for a person to take (agent API); the proposal never changes, the outcome is set once.</summary>
public sealed class Decision : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid ProjectId { get; set; }
    public Guid Id { get; set; }
    public Guid AgentId { get; set; }
    public Guid? ApiKeyId { get; set; }
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public List<string> Options { get; set; } = [];
    public string Payload { get; set; } = "{}";
    public DateTimeOffset? Deadline { get; set; }
    public string Status { get; set; } = DecisionStatus.Pending;
    public string? ChosenOption { get; set; }
    public string? Rationale { get; set; }
    public Guid? DecidedBy { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Decision states as stored in decisions.status.</summary>
public static class DecisionStatus
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Deferred = "deferred";
    public const string Expired = "expired";

    public static string Label(string status) => status.Length == 0 ? status : char.ToUpperInvariant(status[0]) + status[1..];
}

internal sealed class DecisionConfiguration : IEntityTypeConfiguration<Decision>
{
    public void Configure(EntityTypeBuilder<Decision> builder)
    {
        builder.ToTable("decisions");
        builder.HasKey(d => new { d.OrgId, d.Id });
        builder.Property(d => d.Options).HasColumnType("text[]");
        builder.Property(d => d.Payload).HasColumnType("jsonb");
        builder.Property(d => d.CreatedAt).ValueGeneratedOnAdd();
        builder.Property(d => d.UpdatedAt).ValueGeneratedOnAddOrUpdate();
    }
}
