namespace TenantPortal.Features.AgentApi;

/// <summary>A request's query parameters, read with rules like <see cref="JsonInput"/>'s; problems are collected by parameter name.</summary>
internal sealed class QueryInput(IQueryCollection query)
{
    private readonly Dictionary<string, string[]> errors = new(StringComparer.Ordinal);

    private string? Value(string name)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            errors[name] = ["Give this parameter once."];
            return null;
        }

        return values.Count == 0 || string.IsNullOrEmpty(values[0]) ? null : values[0];
    }

    public int Int(string name, int min, int max, int fallback)
    {
        if (Value(name) is not string text)
        {
            return fallback;
        }

        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors[name] = [$"Must be a whole number from {min} to {max}."];
        return fallback;
    }

    public bool Bool(string name)
    {
        switch (Value(name))
        {
            case null or "false":
                return false;
            case "true":
                return true;
            default:
                errors[name] = ["Must be true or false."];
                return false;
        }
    }

    /// <summary>A cursor handed out earlier (a position in the project's feed); 0 when absent.</summary>
    public long Cursor(string name)
    {
        if (Value(name) is not string text)
        {
            return 0;
        }

        if (long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors[name] = ["Must be a cursor returned by an earlier response (nextCursor)."];
        return 0;
    }

    /// <summary>One of <paramref name="allowed"/>, or null when absent.</summary>
    public string? OneOf(string name, IReadOnlyList<string> allowed)
    {
        var value = Value(name);
        if (value is null || allowed.Contains(value))
        {
            return value;
        }

        errors[name] = [$"Must be one of: {string.Join(", ", allowed)}."];
        return null;
    }

    /// <summary>A short text without control characters, or null when absent.</summary>
    public string? Text(string name, int max)
    {
        var value = Value(name);
        if (value is null || (value.Length <= max && !value.Any(char.IsControl) && !JsonInput.HasLoneSurrogate(value)))
        {
            return value;
        }

        errors[name] = [$"Must be at most {max} characters, without control characters."];
        return null;
    }

    public ApiProblem? Problem() => errors.Count == 0 ? null : ApiProblem.Invalid(errors);
}
