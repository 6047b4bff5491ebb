using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Projects;

/// <summary>The project form: tags as one comma-separated line, metadata as a JSON object.</summary>
public sealed class ProjectInput : IValidatableObject
{
    [DisplayNameText(MaxLength = 200)]
    public string Name { get; set; } = "";

    [Slug(Project = true)]
    public string Slug { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Use at most 2,000 characters for the description.")]
    public string? Description { get; set; }

    public string? Tags { get; set; }

    [Range(0, 100_000, ErrorMessage = "Enter a number from 0 to 100,000, or leave it empty for the plan's limit.")]
    public int? MaxAgents { get; set; }

    public string? Metadata { get; set; }

    /// <summary>The tags, trimmed, lowercased and without duplicates, in the order given.</summary>
    public List<string> TagList() => (Tags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(t => t.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The metadata as compact JSON ("{}" when empty).</summary>
    public string MetadataJson() => string.IsNullOrWhiteSpace(Metadata) ? "{}" : JsonSerializer.Serialize(JsonDocument.Parse(Metadata).RootElement);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var tags = TagList();
        if (tags.Count > 20 || tags.Any(t => !ProjectTags.IsValid(t)))
        {
            yield return new ValidationResult(ProjectTags.Rule, [nameof(Tags)]);
        }

        if (MetadataProblem(Metadata) is string problem)
        {
            yield return new ValidationResult(problem, [nameof(Metadata)]);
        }
    }

    private static string? MetadataProblem(string? metadata)
    {
        if (string.IsNullOrWhiteSpace(metadata))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(metadata);
            return document.RootElement.ValueKind == JsonValueKind.Object ? null : "Metadata must be a JSON object, such as {\"team\": \"web\"}.";
        }
        catch (JsonException ex)
        {
            return $"Metadata is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, character {(ex.BytePositionInLine ?? 0) + 1}). Use an object such as {{\"team\": \"support\"}}.";
        }
    }

    public static ProjectInput From(Project project) => new()
    {
        Name = project.Name,
        Slug = project.Slug,
        Description = project.Description,
        Tags = string.Join(", ", project.Tags),
        MaxAgents = project.MaxAgents,
        Metadata = project.Metadata == "{}" ? null : project.Metadata,
    };
}

/// <summary>Tag format, the same as the database's <c>app.are_valid_tags</c>.</summary>
public static partial class ProjectTags
{
    public const string Rule = "Use up to 20 different tags of 1–40 lowercase letters, digits, hyphens or underscores.";

    public static bool IsValid(string tag) => Format().IsMatch(tag);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,39}$")]
    private static partial System.Text.RegularExpressions.Regex Format();
}
