using Microsoft.AspNetCore.Components;
using TenantPortal.Tenancy;

namespace TenantPortal.Components;

/// <summary>
/// A component that follows the circuit's tenant context: when the user switches organization or workspace (or loses
/// access), <see cref="OnTenantChangedAsync"/> runs and the component renders again.
/// </summary>
public abstract class TenantAwareComponent : ComponentBase, IDisposable
{
    private bool subscribed;

    [Inject]
    protected TenantSession Session { get; set; } = default!;

    public override Task SetParametersAsync(ParameterView parameters)
    {
        if (!subscribed)
        {
            subscribed = true;
            Session.Changed += OnSessionChanged;
        }

        return base.SetParametersAsync(parameters);
    }

    /// <summary>Reloads what depends on the active organization or workspace; renders only by default.</summary>
    protected virtual Task OnTenantChangedAsync() => Task.CompletedTask;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && subscribed)
        {
            Session.Changed -= OnSessionChanged;
        }
    }

    private void OnSessionChanged() => _ = InvokeAsync(async () =>
    {
        try
        {
            await OnTenantChangedAsync();
            StateHasChanged();
        }
        catch (Exception ex)
        {
            // Nobody awaits this event: hand the failure (lost access included) to the error boundary instead of losing it.
            await DispatchExceptionAsync(ex);
        }
    });
}
