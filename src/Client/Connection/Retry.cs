using Google.Rpc;
using Grpc.Core;

namespace PatrolHub.Client.Connection;

/// <summary>Which failures a resuming client rides out, and how long it waits between tries.</summary>
public static class Retry
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(15);

    public static bool IsTransient(StatusCode code) => code is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown
        or StatusCode.ResourceExhausted or StatusCode.Aborted or StatusCode.DeadlineExceeded or StatusCode.Cancelled;

    /// <summary>Whether a session or watch rides out <paramref name="e"/> and reconnects. A refused hub certificate is
    /// ridden out only once the hub has been <paramref name="reached"/>: before that it is a setup error (a wrong --ca)
    /// that would fail the same way for ever; after, the hub may be mid-way through a change.</summary>
    public static bool RidesOut(RpcException e, bool reached) => IsTransient(e.StatusCode) && (reached || !RefusedHub(e));

    /// <summary>Whether the call failed because the client refused the hub's certificate.</summary>
    public static bool RefusedHub(RpcException e) => Cause<HubCertificateRefusedException>(e) is not null;

    /// <summary>The first exception of type <typeparamref name="T"/> among <paramref name="e"/> and its inner exceptions.</summary>
    public static T? Cause<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T match) return match;
        }

        return null;
    }

    /// <summary>Exponential backoff with jitter (half the step plus a random half), so clients dropped together do not
    /// come back together: 0.5–1 s, 1–2 s, 2–4 s, ... up to 7.5–15 s. A hub restart takes about a second or two, so the
    /// first tries do not land while it is still down.</summary>
    public static TimeSpan Backoff(int attempt, Random? random = null)
    {
        var step = Math.Min(Cap.TotalMilliseconds, Base.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 10)));
        return TimeSpan.FromMilliseconds(step * (0.5 + ((random ?? Random.Shared).NextDouble() / 2)));
    }

    /// <summary>How long the hub asked us to wait (google.rpc.RetryInfo on RESOURCE_EXHAUSTED), if it did.</summary>
    public static TimeSpan? RetryAfter(RpcException e) => e.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay?.ToTimeSpan();

    /// <summary>A call the hub may refuse for now with RESOURCE_EXHAUSTED (a caller's rate limit: refused before anything
    /// was done, so safe to repeat), tried again after <see cref="Delay"/> up to <paramref name="attempts"/> times; for
    /// callers that make many calls in a row, such as setting up a simulation's pairs.</summary>
    public static async Task<T> PacedAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken, int attempts = 8)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && attempt + 1 < attempts)
            {
                await Task.Delay(Delay(attempt, e), cancellationToken);
            }
        }
    }

    /// <summary>The wait before the next try: the backoff, but never less than the hub asked for, jittered up to half again.</summary>
    public static TimeSpan Delay(int attempt, Exception? failure, Random? random = null)
    {
        var backoff = Backoff(attempt, random);
        if (failure is not RpcException rpc || RetryAfter(rpc) is not { } asked) return backoff;
        var hinted = asked * (1 + ((random ?? Random.Shared).NextDouble() / 2));
        return hinted > backoff ? hinted : backoff;
    }
}
