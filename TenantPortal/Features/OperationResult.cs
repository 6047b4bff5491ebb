using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace TenantPortal.Features;

/// <summary>The outcome of a change: success, or a message for one form field (or the whole form when Field is null).</summary>
public sealed record OperationResult(bool Succeeded, string? Field = null, string? Message = null)
{
    public static readonly OperationResult Ok = new(true);

    public static OperationResult Fail(string message, string? field = null) => new(false, field, message);

    /// <summary>True for the database refusals that are the user's input (or rights, or plan), not a fault.</summary>
    public static bool IsRefusal(PostgresException ex) => ex.SqlState is PostgresErrorCodes.UniqueViolation
        or PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.InsufficientPrivilege
        || (ex.SqlState == PostgresErrorCodes.RaiseException && Refusal.Describe(ex) is not null);

    /// <summary>
    /// Turns a refusal (see <see cref="IsRefusal"/>) into a message for the form: the sentence a feature declared for
    /// it, or a general one (<paramref name="notAllowed"/> for a refusal of rights).
    /// </summary>
    public static OperationResult FromDatabase(PostgresException ex, string? notAllowed = null) =>
        Refusal.Describe(ex) is var (message, field) ? Fail(message, field) : ex.SqlState switch
        {
            PostgresErrorCodes.ForeignKeyViolation => Fail("Something this refers to no longer exists; reload and try again."),
            PostgresErrorCodes.UniqueViolation => Fail("That already exists."),
            PostgresErrorCodes.CheckViolation => Fail("That value is not allowed."),
            _ => Fail(notAllowed ?? "You are not allowed to do that in this organization."),
        };

    /// <summary>
    /// Runs a change and reports it: success, "nothing changed" when <paramref name="change"/> returns false (the row is
    /// gone, or row-level security hid it), or the database's refusal as a message. Every service reports this way.
    /// </summary>
    public static async Task<OperationResult> RunAsync(Func<Task<bool>> change, string? notAllowed = null)
    {
        try
        {
            return await change() ? Ok : Fail("Nothing was changed: it no longer exists or you may not change it.");
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException pg && IsRefusal(pg))
        {
            return FromDatabase(pg, notAllowed);
        }
        catch (PostgresException ex) when (IsRefusal(ex))
        {
            return FromDatabase(ex, notAllowed);
        }
    }

    /// <summary>The refusal of a destructive action whose typed confirmation does not repeat <paramref name="expected"/>; null when it does.</summary>
    public static OperationResult? Unconfirmed(string confirmation, string? expected) =>
        string.Equals(confirmation.Trim(), expected, StringComparison.Ordinal) ? null : Fail($"Type {expected} to confirm.", "Confirmation");

    /// <summary>The first DataAnnotations problem of a form model as a field error; null when the model is valid.</summary>
    public static OperationResult? Validate(object input)
    {
        var problems = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(input, new(input), problems, validateAllProperties: true);
        return problems.FirstOrDefault() is { } problem ? Fail(problem.ErrorMessage ?? "Check this value.", problem.MemberNames.FirstOrDefault()) : null;
    }
}
