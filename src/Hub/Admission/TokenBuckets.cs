using System.Collections.Concurrent;

namespace PatrolHub.Hub.Admission;

/// <summary>
/// A token bucket per key: each holds at most <c>limit</c> tokens and gains <c>perPeriod</c> of them every
/// <c>period</c>, continuously. A bucket is brought up to date from the clock when it is used, so a key costs a few
/// dozen bytes and nothing while it is idle: no timer per key and no sweep over all of them (which, with one bucket
/// per unit, grew with the number of units connected).
/// </summary>
public sealed class TokenBuckets(int limit, int perPeriod, TimeSpan period, TimeProvider time)
{
    /// <summary>Keys kept before all are forgotten (each then starts full again); one per identity, so far more than a
    /// border's units.</summary>
    private const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    // Whole numbers, so no rounding ever refuses a token that is due: a token is worth period.Ticks credits, and each
    // tick that passes adds perPeriod of them.
    private readonly long _token = period.Ticks;
    private readonly long _full = limit * period.Ticks;

    /// <summary>Takes a token from <paramref name="key"/>'s bucket; when it is empty, says how long until it holds one.</summary>
    public bool TryTake(string key, out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            if (_buckets.Count >= Capacity) _buckets.Clear();
            bucket = _buckets.GetOrAdd(key, _ => new Bucket(_full, now));
        }

        lock (bucket)
        {
            var elapsed = time.GetElapsedTime(bucket.Stamp, now).Ticks;
            if (elapsed > 0)
            {
                // Past _full ticks any bucket is full; the cap keeps the product in range after a long idle.
                bucket.Credit = Math.Min(_full, bucket.Credit + Math.Min(elapsed, _full) * perPeriod);
                bucket.Stamp = now;
            }

            if (bucket.Credit >= _token)
            {
                bucket.Credit -= _token;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromTicks((_token - bucket.Credit + perPeriod - 1) / perPeriod);
            return false;
        }
    }

    private sealed class Bucket(long credit, long stamp)
    {
        public long Credit = credit;
        public long Stamp = stamp;
    }
}
