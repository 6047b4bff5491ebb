using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.RegularExpressions;

namespace TenantPortal.Tenancy;

/// <summary>Organization and workspace slugs: the same rules as the database's <c>app.is_valid_slug</c>.</summary>
public static partial class Slugs
{
    public const string Rule = "Use 3–50 lowercase letters, digits or hyphens; start with a letter and end with a letter or digit.";

    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal) { "default", "system", "admin", "root", "api", "new" };

    /// <summary>Null when valid, otherwise what to do about it.</summary>
    public static string? Problem(string? slug)
    {
        if (string.IsNullOrEmpty(slug))
        {
            return "Enter a short name for the address. " + Rule;
        }

        if (!Format().IsMatch(slug) || slug.Length is < 3 or > 50)
        {
            return Rule;
        }

        return Reserved.Contains(slug) ? $"“{slug}” is reserved; choose another." : null;
    }

    /// <summary>A slug suggested from a display name: "Acme Corp." → "acme-corp".</summary>
    public static string Suggest(string? name)
    {
        var builder = new StringBuilder();
        foreach (var c in (name ?? "").Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != '-' && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                builder.Append('-');
            }
        }

        var slug = builder.ToString().Trim('-');
        slug = slug.Length > 50 ? slug[..50].TrimEnd('-') : slug;
        while (slug.Length > 0 && !char.IsAsciiLetterLower(slug[0]))
        {
            slug = slug[1..];
        }

        return slug;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]*[a-z0-9]$")]
    private static partial Regex Format();
}

/// <summary>DataAnnotations form of <see cref="Slugs.Problem"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SlugAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        Slugs.Problem(value as string) is string problem ? new ValidationResult(problem, [validationContext.MemberName!]) : ValidationResult.Success;
}

/// <summary>Names: 1–100 characters after trimming, any script.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DisplayNameTextAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var text = (value as string)?.Trim() ?? "";
        return text.Length is >= 1 and <= 100
            ? ValidationResult.Success
            : new ValidationResult(text.Length == 0 ? "Enter a name." : "Use at most 100 characters.", [validationContext.MemberName!]);
    }
}
