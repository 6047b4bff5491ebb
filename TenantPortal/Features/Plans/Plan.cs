using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TenantPortal.Features.Plans;

/// <summary>A plan's limits (reference data); a null limit is unlimited.</summary>
public sealed class Plan
{
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public int? MaxOwnedOrgs { get; set; }
    public int? MaxProjectsPerOrg { get; set; }
    public int? MaxAgentsPerProject { get; set; }
    public int? MaxMembersPerOrg { get; set; }
}

public sealed class UserSubscription
{
    public Guid UserId { get; set; }
    public string PlanCode { get; set; } = "free";
    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class PlanConfiguration : IEntityTypeConfiguration<Plan>, IEntityTypeConfiguration<UserSubscription>
{
    public void Configure(EntityTypeBuilder<Plan> builder)
    {
        builder.ToTable("plans");
        builder.HasKey(p => p.Code);
    }

    public void Configure(EntityTypeBuilder<UserSubscription> builder)
    {
        builder.ToTable("user_subscriptions");
        builder.HasKey(s => s.UserId);
        builder.Property(s => s.UpdatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAddOrUpdate();
    }
}
