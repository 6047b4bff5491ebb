using Microsoft.EntityFrameworkCore;
using TenantPortal.Tenancy;

namespace TenantPortal.Data;

/// <summary>Creates contexts bound to the scope's (the circuit's) <see cref="TenantContext"/>.</summary>
internal sealed class PortalDbContextFactory(DbContextOptions<PortalDbContext> options, TenantContext tenant) : IDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext() => new(options, tenant);
}
