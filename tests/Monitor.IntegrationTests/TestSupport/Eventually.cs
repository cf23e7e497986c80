namespace Monitor.IntegrationTests.TestSupport;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="describe"/> after the timeout.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> describe)
    {
        var start = TimeProvider.System.GetTimestamp();
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (TimeProvider.System.GetElapsedTime(start) > timeout)
            {
                Assert.Fail($"condition not met within {timeout.TotalSeconds}s: {describe()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), TimeProvider.System);
        }
    }
}
