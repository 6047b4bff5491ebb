using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace TenantPortal.Tenancy;

/// <summary>The outcome of a change: success, or a message for one form field (or the whole form when Field is null).</summary>
public sealed record OperationResult(bool Succeeded, string? Field = null, string? Message = null)
{
    public static readonly OperationResult Ok = new(true);

    public static OperationResult Fail(string message, string? field = null) => new(false, field, message);

    /// <summary>True for the database refusals that are the user's input (or rights, or plan), not a fault.</summary>
    public static bool IsRefusal(PostgresException ex) => ex.SqlState is PostgresErrorCodes.UniqueViolation
        or PostgresErrorCodes.CheckViolation or PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.InsufficientPrivilege
        || (ex.SqlState == PostgresErrorCodes.RaiseException && PortalRules.Describe(ex.MessageText) is not null);

    /// <summary>Turns a refusal (see <see cref="IsRefusal"/>) into a message for the form.</summary>
    public static OperationResult FromDatabase(PostgresException ex, string slugField = "Slug", SlugRule? slugRule = null) => ex.SqlState switch
    {
        PostgresErrorCodes.RaiseException when PortalRules.Describe(ex.MessageText) is string rule => Fail(rule),
        PostgresErrorCodes.UniqueViolation when ex.ConstraintName?.Contains("slug", StringComparison.Ordinal) == true =>
            Fail("That address is already taken; choose another.", slugField),
        PostgresErrorCodes.UniqueViolation when ex.ConstraintName == "ux_org_invitations_open" =>
            Fail("An invitation to this address is already open; resend it from the list instead.", "Email"),
        PostgresErrorCodes.UniqueViolation when ex.ConstraintName == "agents_name_key" =>
            Fail("An agent with this name already exists in the project; choose another.", "Name"),
        PostgresErrorCodes.UniqueViolation when ex.ConstraintName == "ux_api_keys_active_name" =>
            Fail("An active key with this name already exists in the project; choose another.", "Name"),
        PostgresErrorCodes.CheckViolation when ex.ConstraintName?.Contains("slug", StringComparison.Ordinal) == true =>
            Fail((slugRule ?? SlugRule.Organization).Rule, slugField),
        PostgresErrorCodes.CheckViolation when ex.ConstraintName?.Contains("name", StringComparison.Ordinal) == true =>
            Fail(ex.ConstraintName == "projects_name_format" ? "Use 1–200 characters for the name." : "Use 1–100 characters for the name.", "Name"),
        PostgresErrorCodes.CheckViolation when ex.ConstraintName == "projects_tags_format" =>
            Fail(ProjectTagsRule, "Tags"),
        PostgresErrorCodes.CheckViolation when ex.ConstraintName == "org_invitations_email_format" =>
            Fail("Enter an email address such as name@example.com.", "Email"),
        PostgresErrorCodes.ForeignKeyViolation when ex.ConstraintName == "fk_workspace_members_member" =>
            Fail("Only members of the organization can join its workspaces."),
        PostgresErrorCodes.ForeignKeyViolation => Fail("Something this refers to no longer exists; reload and try again."),
        PostgresErrorCodes.UniqueViolation => Fail("That already exists."),
        PostgresErrorCodes.CheckViolation => Fail("That value is not allowed."),
        _ => Fail("You are not allowed to do that in this organization."),
    };

    /// <summary>
    /// Runs a change and reports it: success, "nothing changed" when <paramref name="change"/> returns false (the row is
    /// gone, or row-level security hid it), or the database's refusal as a message.
    /// </summary>
    public static async Task<OperationResult> RunAsync(Func<Task<bool>> change, SlugRule? slugRule = null)
    {
        try
        {
            return await change() ? Ok : Fail("Nothing was changed: it no longer exists or you may not change it.");
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException pg && IsRefusal(pg))
        {
            return FromDatabase(pg, slugRule: slugRule);
        }
        catch (PostgresException ex) when (IsRefusal(ex))
        {
            return FromDatabase(ex, slugRule: slugRule);
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

    public const string ProjectTagsRule = "Use up to 20 different tags of 1–40 lowercase letters, digits, hyphens or underscores.";
}
