using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Features.Workspaces;

namespace TenantPortal.Features.Projects;

internal sealed class ProjectConfiguration : IEntityTypeConfiguration<Project>
{
    public void Configure(EntityTypeBuilder<Project> builder)
    {
        builder.ToTable("projects");
        builder.HasKey(p => new { p.OrgId, p.Id });
        builder.Property(p => p.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(p => p.Status).HasDefaultValue(ProjectStatus.Active);
        builder.Property(p => p.NameKey).ValueGeneratedOnAddOrUpdate();
        builder.Property(p => p.Tags).HasColumnType("text[]");
        builder.Property(p => p.Metadata).HasColumnType("jsonb");
        builder.Property(p => p.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.Property(p => p.UpdatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAddOrUpdate();
        builder.HasIndex(p => new { p.OrgId, p.Slug }).IsUnique().HasDatabaseName("projects_slug_key");
        builder.HasOne<Workspace>().WithMany().HasForeignKey(p => new { p.OrgId, p.WorkspaceId });
    }
}
