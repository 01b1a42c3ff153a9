namespace PatrolHub.Hub.Tests;

/// <summary>Waits for what no event announces (acknowledgements counted across many streams, an HTTP endpoint, rows in
/// a database): checks the condition every 100 ms until it holds; past the timeout, throws.</summary>
internal static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout) => UntilAsync(() => Task.FromResult(condition()), timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        using var waiting = new CancellationTokenSource(timeout);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!await condition()) await tick.WaitForNextTickAsync(waiting.Token);
    }
}
