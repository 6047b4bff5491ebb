using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Features.Organizations;

namespace TenantPortal.Features.Workspaces;

internal sealed class WorkspaceConfiguration : IEntityTypeConfiguration<Workspace>, IEntityTypeConfiguration<WorkspaceMember>
{
    public void Configure(EntityTypeBuilder<Workspace> builder)
    {
        builder.ToTable("workspaces");
        builder.HasKey(w => new { w.OrgId, w.Id });
        builder.Property(w => w.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(w => w.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.Property(w => w.UpdatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAddOrUpdate();
        builder.HasIndex(w => new { w.OrgId, w.Slug }).IsUnique().HasDatabaseName("workspaces_slug_key");
        builder.HasOne<Organization>().WithMany().HasForeignKey(w => w.OrgId);
    }

    public void Configure(EntityTypeBuilder<WorkspaceMember> builder)
    {
        builder.ToTable("workspace_members");
        builder.HasKey(m => new { m.OrgId, m.WorkspaceId, m.UserId });
        builder.Property(m => m.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.HasOne<Workspace>().WithMany().HasForeignKey(m => new { m.OrgId, m.WorkspaceId });
        builder.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId);
    }
}
