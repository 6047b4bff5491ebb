using Radzen;
using TenantPortal.Features;
using TenantPortal.Tenancy;

namespace TenantPortal.Components;

internal static class NotificationExtensions
{
    /// <summary>Shows the outcome of a change: <paramref name="success"/> when it worked, otherwise the refusal's message.</summary>
    public static void Report(this NotificationService notifications, OperationResult result, string success, double failureDuration = 3000) =>
        notifications.Notify(result.Succeeded ? NotificationSeverity.Success : NotificationSeverity.Error,
            result.Succeeded ? success : result.Message ?? "Not changed.", duration: result.Succeeded ? 3000 : failureDuration);
}
