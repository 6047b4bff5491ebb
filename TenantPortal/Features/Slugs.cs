using System.ComponentModel.DataAnnotations;
using System.Text;
using System.Text.RegularExpressions;

namespace TenantPortal.Features;

/// <summary>A kind of slug: its format, its words for the rule, and the reserved values; the same rules as the database's.</summary>
public sealed partial class SlugRule
{
    /// <summary>Organizations and workspaces (<c>app.is_valid_slug</c>): letters, digits and hyphens.</summary>
    public static readonly SlugRule Organization = new(OrganizationFormat(), '-', "hyphens",
        ["default", "system", "admin", "root", "api", "new"]);

    /// <summary>Projects (<c>app.is_valid_project_slug</c>): letters, digits and underscores.</summary>
    public static readonly SlugRule Project = new(ProjectFormat(), '_', "underscores", ["default", "system", "admin", "root"]);

    private readonly Regex format;
    private readonly char separator;

    private SlugRule(Regex format, char separator, string separators, string[] reserved)
    {
        this.format = format;
        this.separator = separator;
        Rule = $"Use 3–50 lowercase letters, digits or {separators}; start with a letter and end with a letter or digit.";
        Reserved = new HashSet<string>(reserved, StringComparer.Ordinal);
    }

    public string Rule { get; }

    public IReadOnlySet<string> Reserved { get; }

    /// <summary>Null when valid, otherwise what to do about it.</summary>
    public string? Problem(string? slug)
    {
        if (string.IsNullOrEmpty(slug))
        {
            return "Enter a short name for the address. " + Rule;
        }

        if (!format.IsMatch(slug) || slug.Length is < 3 or > 50)
        {
            return Rule;
        }

        return Reserved.Contains(slug) ? $"“{slug}” is reserved; choose another." : null;
    }

    /// <summary>A slug suggested from a display name: "Acme Corp." → "acme-corp" (or "acme_corp").</summary>
    public string Suggest(string? name)
    {
        var builder = new StringBuilder();
        foreach (var c in (name ?? "").Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != separator && char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark)
            {
                builder.Append(separator);
            }
        }

        var slug = builder.ToString().Trim(separator);
        slug = slug.Length > 50 ? slug[..50].TrimEnd(separator) : slug;
        while (slug.Length > 0 && !char.IsAsciiLetterLower(slug[0]))
        {
            slug = slug[1..];
        }

        return slug;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]*[a-z0-9]$")]
    private static partial Regex OrganizationFormat();

    [GeneratedRegex("^[a-z][a-z0-9_]*[a-z0-9]$")]
    private static partial Regex ProjectFormat();
}

/// <summary>Organization and workspace slugs (<see cref="SlugRule.Organization"/>).</summary>
public static class Slugs
{
    public static string Rule => SlugRule.Organization.Rule;

    public static string? Problem(string? slug) => SlugRule.Organization.Problem(slug);

    public static string Suggest(string? name) => SlugRule.Organization.Suggest(name);
}

/// <summary>DataAnnotations form of <see cref="SlugRule.Problem"/>; organization rules unless <see cref="Project"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SlugAttribute : ValidationAttribute
{
    public bool Project { get; init; }

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        (Project ? SlugRule.Project : SlugRule.Organization).Problem(value as string) is string problem
            ? new ValidationResult(problem, [validationContext.MemberName!])
            : ValidationResult.Success;
}

/// <summary>Names: 1–<see cref="MaxLength"/> (default 100) characters after trimming, any script.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class DisplayNameTextAttribute : ValidationAttribute
{
    public int MaxLength { get; init; } = 100;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        var text = (value as string)?.Trim() ?? "";
        return text.Length >= 1 && text.Length <= MaxLength
            ? ValidationResult.Success
            : new ValidationResult(text.Length == 0 ? "Enter a name." : $"Use at most {MaxLength} characters.", [validationContext.MemberName!]);
    }
}
