using Microsoft.AspNetCore.Identity;

namespace TenantPortal.Data;

/// <summary>A person who signs in to the portal.</summary>
public sealed class PortalUser : IdentityUser<Guid>
{
    public string? DisplayName { get; set; }

    /// <summary>Set by the database for the first user ever registered; never by a form.</summary>
    public bool IsPlatformAdmin { get; set; }

    /// <summary>The user's colour scheme: <c>light</c> or <c>dark</c>.</summary>
    public string Theme { get; set; } = UserTheme.Light;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The organization and workspace a new circuit opens in (checked against membership when used).</summary>
    public Guid? LastOrgId { get; set; }

    public Guid? LastWorkspaceId { get; set; }
}

public static class UserTheme
{
    public const string Light = "light";
    public const string Dark = "dark";

    public static string Normalize(string? theme) => theme == Dark ? Dark : Light;
}
