using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.Agents;

/// <summary>The agent form; the model settings become the agent's config object.</summary>
public sealed partial class AgentInput
{
    public const string NameRule = "Use 1–63 lowercase letters, digits, hyphens or underscores, starting with a letter.";

    [Required(ErrorMessage = "Enter a name, such as support-bot.")]
    [RegularExpression("^[a-z][a-z0-9_-]{0,62}$", ErrorMessage = NameRule)]
    public string Name { get; set; } = "";

    [DisplayNameText(MaxLength = 200)]
    public string DisplayName { get; set; } = "";

    [StringLength(2000, ErrorMessage = "Use at most 2,000 characters for the description.")]
    public string? Description { get; set; }

    [StringLength(100, ErrorMessage = "Use at most 100 characters for the model.")]
    public string? Model { get; set; }

    [Range(0.0, 2.0, ErrorMessage = "Choose a temperature from 0 to 2.")]
    public decimal? Temperature { get; set; }

    [Range(1, 200_000, ErrorMessage = "Choose from 1 to 200,000 tokens.")]
    public int? MaxTokens { get; set; }

    [StringLength(20_000, ErrorMessage = "Use at most 20,000 characters for the system prompt.")]
    public string? SystemPrompt { get; set; }

    [StringLength(20_000, ErrorMessage = "Use at most 20,000 characters for the instructions.")]
    public string? Instructions { get; set; }

    /// <summary>The config object: only the settings that were given.</summary>
    public string ConfigJson()
    {
        var config = new JsonObject();
        if (!string.IsNullOrWhiteSpace(Model)) config["model"] = Model.Trim();
        if (Temperature is decimal temperature) config["temperature"] = temperature;
        if (MaxTokens is int maxTokens) config["max_tokens"] = maxTokens;
        if (!string.IsNullOrWhiteSpace(SystemPrompt)) config["system_prompt"] = SystemPrompt;
        if (!string.IsNullOrWhiteSpace(Instructions)) config["instructions"] = Instructions;
        return config.ToJsonString();
    }

    public static AgentInput From(Agent agent)
    {
        using var config = JsonDocument.Parse(agent.Config);
        var root = config.RootElement;
        return new AgentInput
        {
            Name = agent.Name,
            DisplayName = agent.DisplayName,
            Description = agent.Description,
            Model = root.TryGetProperty("model", out var model) ? model.GetString() : null,
            Temperature = root.TryGetProperty("temperature", out var temperature) ? temperature.GetDecimal() : null,
            MaxTokens = root.TryGetProperty("max_tokens", out var maxTokens) && maxTokens.TryGetInt32(out var tokens) ? tokens : null,
            SystemPrompt = root.TryGetProperty("system_prompt", out var prompt) ? prompt.GetString() : null,
            Instructions = root.TryGetProperty("instructions", out var instructions) ? instructions.GetString() : null,
        };
    }
}
