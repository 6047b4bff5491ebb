using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Agents;

public sealed class Agent : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid ProjectId { get; set; }
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public string DisplayName { get; set; } = "";
    public string? Description { get; set; }
    public string Status { get; set; } = AgentStatus.Draft;
    public string Config { get; set; } = "{}";
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? LastActivityAt { get; set; }
}

/// <summary>Agent states as stored in agents.status.</summary>
public static class AgentStatus
{
    public const string Draft = "draft";
    public const string Active = "active";
    public const string Inactive = "inactive";
    public const string Archived = "archived";

    public static readonly IReadOnlyList<string> All = [Draft, Active, Inactive, Archived];

    public static string Label(string status) => status.Length == 0 ? status : char.ToUpperInvariant(status[0]) + status[1..];
}

internal sealed class AgentConfiguration : IEntityTypeConfiguration<Agent>
{
    public void Configure(EntityTypeBuilder<Agent> builder)
    {
        builder.ToTable("agents");
        builder.HasKey(a => new { a.OrgId, a.Id });
        builder.Property(a => a.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(a => a.Status).HasDefaultValue(AgentStatus.Draft);
        builder.Property(a => a.Config).HasColumnType("jsonb");
        builder.Property(a => a.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.Property(a => a.UpdatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAddOrUpdate();
        builder.HasIndex(a => new { a.OrgId, a.ProjectId, a.Name }).IsUnique().HasDatabaseName("agents_name_key");
    }
}
