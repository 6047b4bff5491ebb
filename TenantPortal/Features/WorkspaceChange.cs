using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace TenantPortal.Features;

/// <summary>How services change one thing of a workspace (a project, an agent): find it, check the caller's workspace role, validate, change.</summary>
internal static class WorkspaceChange
{
    /// <summary>
    /// Changes the one row of <paramref name="row"/> once <paramref name="allowed"/> holds for its workspace and
    /// <paramref name="input"/>, if any, is valid; the database checks the same again. A row that is gone or hidden
    /// is reported as <paramref name="missing"/>, a refused caller with <paramref name="refusal"/>.
    /// </summary>
    public static async Task<OperationResult> RunAsync<T>(IQueryable<T> row, Expression<Func<T, Guid>> workspaceOf, Func<Guid, bool> allowed,
        string refusal, string missing, object? input, Func<IQueryable<T>, Task<int>> change, CancellationToken cancellationToken)
    {
        var workspace = await row.Select(workspaceOf).Select(id => (Guid?)id).SingleOrDefaultAsync(cancellationToken);
        if (workspace is not Guid workspaceId)
        {
            return OperationResult.Fail(missing);
        }

        if (!allowed(workspaceId))
        {
            return OperationResult.Fail(refusal);
        }

        return (input is null ? null : OperationResult.Validate(input)) ?? await OperationResult.RunAsync(async () => await change(row) == 1);
    }
}
