namespace PatrolHub.Hub.Tests;

/// <summary>Waits for what no event announces (acknowledgements counted across many streams, an HTTP endpoint, rows in
/// a database): checks the condition every 100 ms until it holds; past the timeout, throws a
/// <see cref="TimeoutException"/> saying what was still missing when <paramref name="missing"/> is given.</summary>
internal static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string>? missing = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, missing);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string>? missing = null)
    {
        using var waiting = new CancellationTokenSource(timeout);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (!await condition()) await tick.WaitForNextTickAsync(waiting.Token);
        }
        catch (OperationCanceledException) when (waiting.IsCancellationRequested)
        {
            throw new TimeoutException($"Still waiting after {timeout.TotalSeconds:F0} s{(missing is null ? "" : $": {missing()}")}");
        }
    }
}
