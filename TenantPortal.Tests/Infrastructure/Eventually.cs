namespace TenantPortal.Tests.Infrastructure;

/// <summary>Waits for a value written asynchronously (by a circuit, say) to appear, then asserts it.</summary>
public static class Eventually
{
    public static async Task EqualAsync<T>(T expected, Func<Task<T>> read, int attempts = 50)
    {
        var actual = await read();
        for (var i = 1; i < attempts && !EqualityComparer<T>.Default.Equals(expected, actual); i++)
        {
            await Task.Delay(100);
            actual = await read();
        }

        Assert.Equal(expected, actual);
    }
}
