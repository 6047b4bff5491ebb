using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TenantPortal.Features.Organizations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>, IEntityTypeConfiguration<OrgMember>
{
    public void Configure(EntityTypeBuilder<Organization> builder)
    {
        builder.ToTable("organizations");
        builder.HasKey(o => o.Id);
        builder.Property(o => o.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(o => o.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.Property(o => o.UpdatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAddOrUpdate();
        builder.HasIndex(o => o.Slug).IsUnique().HasDatabaseName("organizations_slug_key");
    }

    public void Configure(EntityTypeBuilder<OrgMember> builder)
    {
        builder.ToTable("org_members");
        builder.HasKey(m => new { m.OrgId, m.UserId });
        builder.Property(m => m.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId);
        builder.HasOne<Organization>().WithMany().HasForeignKey(m => m.OrgId);
    }
}
