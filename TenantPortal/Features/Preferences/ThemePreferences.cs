using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using TenantPortal.Data;

namespace TenantPortal.Features.Preferences;

/// <summary>Reads and stores each user's light/dark choice, so it follows them to every browser.</summary>
public sealed class ThemePreferences(IDbContextFactory<PortalDbContext> dbFactory)
{
    public static string RadzenTheme(string theme) => theme == UserTheme.Dark ? "material-dark" : "material";

    public async Task<string> ForUserAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (UserId(user) is not Guid id)
        {
            return UserTheme.Light;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var theme = await db.Users.Where(u => u.Id == id).Select(u => u.Theme).FirstOrDefaultAsync(cancellationToken);
        return UserTheme.Normalize(theme);
    }

    public async Task SaveAsync(ClaimsPrincipal user, string theme, CancellationToken cancellationToken = default)
    {
        if (UserId(user) is not Guid id)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var normalized = UserTheme.Normalize(theme);
        await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Theme, normalized), cancellationToken);
    }

    private static Guid? UserId(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;
}
