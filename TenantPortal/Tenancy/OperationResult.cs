using Npgsql;

namespace TenantPortal.Tenancy;

/// <summary>The outcome of a change: success, or a message for one form field (or the whole form when Field is null).</summary>
public sealed record OperationResult(bool Succeeded, string? Field = null, string? Message = null)
{
    public static readonly OperationResult Ok = new(true);

    public static OperationResult Fail(string message, string? field = null) => new(false, field, message);

    /// <summary>True for the database refusals that are the user's input (or rights), not a fault.</summary>
    public static bool IsRefusal(PostgresException ex) => ex.SqlState is PostgresErrorCodes.UniqueViolation
        or PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.InsufficientPrivilege;

    /// <summary>Turns a refusal (see <see cref="IsRefusal"/>) into a message for the form.</summary>
    public static OperationResult FromDatabase(PostgresException ex, string slugField = "Slug") => ex.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation when ex.ConstraintName?.Contains("slug", StringComparison.Ordinal) == true =>
            Fail("That address is already taken; choose another.", slugField),
        PostgresErrorCodes.CheckViolation when ex.ConstraintName?.Contains("slug", StringComparison.Ordinal) == true =>
            Fail(Slugs.Rule, slugField),
        PostgresErrorCodes.CheckViolation when ex.ConstraintName?.Contains("name", StringComparison.Ordinal) == true =>
            Fail("Use 1–100 characters for the name.", "Name"),
        PostgresErrorCodes.ForeignKeyViolation when ex.ConstraintName == "fk_workspace_members_member" =>
            Fail("Only members of the organization can join its workspaces."),
        PostgresErrorCodes.ForeignKeyViolation => Fail("Something this refers to no longer exists; reload and try again."),
        PostgresErrorCodes.UniqueViolation => Fail("That already exists."),
        PostgresErrorCodes.CheckViolation => Fail("That value is not allowed."),
        _ => Fail("You are not allowed to do that in this organization."),
    };
}
