using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Npgsql;
using TenantPortal.Tenancy;

namespace TenantPortal.Components.Layout;

/// <summary>
/// Catches the database's refusal of the active organization (the user was removed or suspended), moves the user to
/// another organization with a notice and shows the page again; any other error is shown as usual.
/// </summary>
public sealed class TenantErrorBoundary : ErrorBoundary
{
    [Inject]
    private TenantSession Session { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnErrorAsync(Exception exception)
    {
        if (IsLostAccess(exception))
        {
            await Session.HandleLostAccessAsync();
            Recover();
            Navigation.NavigateTo("");
            return;
        }

        await base.OnErrorAsync(exception);
    }

    private static bool IsLostAccess(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg
                && pg.MessageText.Contains("is not an active member", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
