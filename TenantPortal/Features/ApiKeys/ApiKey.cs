using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TenantPortal.Tenancy;

namespace TenantPortal.Features.ApiKeys;

/// <summary>A stored API key: its hash, display prefix and last four characters, never the key itself.</summary>
public sealed class ApiKey : ITenantEntity
{
    public Guid OrgId { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid ProjectId { get; set; }
    public Guid AgentId { get; set; }
    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public byte[] KeyHash { get; set; } = [];
    public string Prefix { get; set; } = "";
    public string LastFour { get; set; } = "";
    public List<string> Capabilities { get; set; } = [];
    public string Status { get; set; } = ApiKeyStatus.Active;
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public Guid? RevokedBy { get; set; }
    public string? RevokeReason { get; set; }
    public Guid? ReplacedBy { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>How many agent API requests the key may make per minute (counted in the database across app instances).</summary>
    public int RateLimitPerMinute { get; set; } = DefaultRateLimit;

    public const int DefaultRateLimit = 600;

    public const int MaxRateLimit = 100_000;

    /// <summary>What the list shows: "sk_agent_v1_1a2b3c4d_5e6f7a8b_…WXYZ".</summary>
    public string Display => $"{Prefix}_…{LastFour}";

    /// <summary>The state a person sees: expired once past its expiry, whatever the stored status.</summary>
    public string EffectiveStatus(DateTimeOffset now) =>
        Status == ApiKeyStatus.Active && ExpiresAt is DateTimeOffset expires && expires <= now ? ApiKeyStatus.Expired : Status;
}

/// <summary>Key states as stored in api_keys.status.</summary>
public static class ApiKeyStatus
{
    public const string Active = "active";
    public const string Revoked = "revoked";
    public const string Expired = "expired";
    public const string Disabled = "disabled";
}

/// <summary>What a key lets its agent do.</summary>
public static class Capability
{
    public const string Communicate = "communicate";
    public const string CreateMeetings = "create_meetings";
    public const string ManageDecisions = "manage_decisions";
    public const string ReadProject = "read_project";

    public static readonly IReadOnlyList<string> All = [Communicate, CreateMeetings, ManageDecisions, ReadProject];

    public static string Label(string capability) => capability switch
    {
        Communicate => "Send and read messages",
        CreateMeetings => "Create meetings",
        ManageDecisions => "Ask for decisions",
        ReadProject => "Read the project",
        _ => capability,
    };
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => new { k.OrgId, k.Id });
        builder.Property(k => k.Id).HasDefaultValueSql("gen_random_uuid()");
        builder.Property(k => k.Status).HasDefaultValue(ApiKeyStatus.Active);
        builder.Property(k => k.Capabilities).HasColumnType("text[]");
        builder.Property(k => k.CreatedAt).HasDefaultValueSql("now()").ValueGeneratedOnAdd();
        builder.HasIndex(k => k.KeyHash).IsUnique().HasDatabaseName("api_keys_key_hash_key");
        builder.Ignore(k => k.Display);
    }
}
