namespace TenantPortal.Hosting;

/// <summary>A start-up problem the operator can fix; Program prints its message alone and exits non-zero.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
