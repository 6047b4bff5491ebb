using Npgsql;

namespace TenantPortal.Features;

/// <summary>
/// A sentence for one of the database's refusals, keyed by the constraint that refused (unique, check, foreign key)
/// or by the rule code a routine raised as <c>code|arg|arg</c> (SQLSTATE P0001); <see cref="Field"/> names the form
/// field it belongs under (null: the whole form).
/// </summary>
public sealed record Refusal(string Key, Func<IReadOnlyList<string>, string> Sentence, string? Field = null)
{
    public Refusal(string key, string sentence, string? field = null)
        : this(key, _ => sentence, field)
    {
    }

    /// <summary>The features' sentences, by key; the same key declared twice is a mistake found at start-up.</summary>
    private static readonly Dictionary<string, Refusal> Known = PortalFeatures.All.SelectMany(f => f.Refusals).ToDictionary(r => r.Key);

    /// <summary>The refusal a feature declared for this database error, with the error's arguments filled in; null when none did.</summary>
    public static (string Message, string? Field)? Describe(PostgresException ex)
    {
        var parts = ex.SqlState == PostgresErrorCodes.RaiseException ? ex.MessageText.Split('|') : [ex.ConstraintName ?? ""];
        return Known.TryGetValue(parts[0], out var refusal) ? (refusal.Sentence(parts[1..]), refusal.Field) : null;
    }

    /// <summary>The sentence for a rule code with its arguments (pages that explain a state without an error use it).</summary>
    public static string Explain(string code, params string[] arguments) =>
        Known.TryGetValue(code, out var refusal) ? refusal.Sentence(arguments) : throw new ArgumentException($"No feature declares the refusal {code}.", nameof(code));

    /// <summary>"1 project", "3 projects".</summary>
    public static string Count(string count, string noun) => count == "1" ? $"{count} {noun}" : $"{count} {noun}s";
}
