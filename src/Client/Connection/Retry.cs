using Grpc.Core;

namespace PatrolHub.Client.Connection;

/// <summary>Which failures a resuming client rides out, and how long it waits between tries.</summary>
public static class Retry
{
    public static bool IsTransient(StatusCode code) => code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown
        or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.DeadlineExceeded or StatusCode.Cancelled;

    public static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * Math.Pow(2, Math.Min(attempt, 6))) * (0.5 + Random.Shared.NextDouble() / 2));
}
