using Microsoft.Extensions.Time.Testing;
using PatrolHub.Hub.Admission;

namespace PatrolHub.Hub.Tests;

public sealed class TokenBucketsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_full_bucket_gives_its_burst_then_refuses_with_the_time_until_its_next_token()
    {
        var buckets = new TokenBuckets(limit: 10, perPeriod: 4, TimeSpan.FromSeconds(1), _time);
        for (var i = 0; i < 10; i++) Assert.True(buckets.TryTake("US-TCA-0101", out _));

        Assert.False(buckets.TryTake("US-TCA-0101", out var retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(250), retryAfter);

        _time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(buckets.TryTake("US-TCA-0101", out retryAfter));
        Assert.Equal(TimeSpan.FromMilliseconds(1), retryAfter);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(buckets.TryTake("US-TCA-0101", out _));
        Assert.False(buckets.TryTake("US-TCA-0101", out _));
    }

    [Fact]
    public void An_idle_bucket_fills_to_its_limit_and_no_further()
    {
        var buckets = new TokenBuckets(limit: 3, perPeriod: 1, TimeSpan.FromSeconds(1), _time);
        for (var i = 0; i < 3; i++) Assert.True(buckets.TryTake("MX-TCA-0101", out _));

        _time.Advance(TimeSpan.FromHours(1));
        var taken = 0;
        while (buckets.TryTake("MX-TCA-0101", out _)) taken++;
        Assert.Equal(3, taken);
    }

    [Fact]
    public void Each_key_has_its_own_bucket()
    {
        var buckets = new TokenBuckets(limit: 1, perPeriod: 1, TimeSpan.FromMinutes(1), _time);
        Assert.True(buckets.TryTake("US-TCA-0101", out _));
        Assert.False(buckets.TryTake("US-TCA-0101", out var retryAfter));
        Assert.Equal(TimeSpan.FromMinutes(1), retryAfter);
        Assert.True(buckets.TryTake("US-TCA-0102", out _));
    }
}
