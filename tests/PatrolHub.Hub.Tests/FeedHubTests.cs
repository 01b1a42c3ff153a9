using Microsoft.Extensions.DependencyInjection;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Live;

namespace PatrolHub.Hub.Tests;

/// <summary>
/// How a hub instance hands out the batches of a sector's log, given batches by hand: across silos, batches can
/// overtake each other on the way, and a batch can be lost. A private hub, so its sector's log is quiet.
/// </summary>
public sealed class FeedHubTests : IAsyncLifetime
{
    private static readonly SectorId Sector = SectorId.Parse("TCA");
    private readonly HubFixture _hub = new("feeds", new Dictionary<string, string>());

    public Task InitializeAsync() => _hub.InitializeAsync();

    public Task DisposeAsync() => _hub.DisposeAsync();

    [Fact]
    public async Task Batches_that_overtake_each_other_are_handed_out_in_cursor_order_without_reading_the_journal()
    {
        var (feeds, subscription, head, reads) = await WatchAsync();
        using var _ = subscription;

        await feeds.OnBatch(Batch(head + 3, 2));
        await feeds.OnBatch(Batch(head + 2, 1));
        await feeds.OnBatch(Batch(head, 2));

        Assert.Equal([head + 1, head + 2, head + 3, head + 4, head + 5], await ReadAsync(subscription, head, 5));
        Assert.Equal(reads, _hub.Journal.FeedReads);
    }

    [Fact]
    public async Task A_batch_whose_predecessor_never_comes_is_handed_out_once_the_gap_has_been_read_from_the_journal()
    {
        var (feeds, subscription, head, reads) = await WatchAsync();
        using var _ = subscription;

        // Records head+1 to head+3 never arrive live.
        await feeds.OnBatch(Batch(head + 3, 1));

        Assert.Equal([head + 4], await ReadAsync(subscription, head, 1));
        Assert.True(_hub.Journal.FeedReads > reads, "the gap was not read from the journal");
    }

    /// <summary>The hub's feeds, a watch of the sector subscribed there, the cursor it goes live after, and how many feed
    /// reads the journal has served so far.</summary>
    private async Task<(FeedHub Feeds, FeedSubscription Subscription, long Head, int Reads)> WatchAsync()
    {
        var feeds = _hub.App.Services.GetRequiredService<FeedHub>();
        var subscription = await feeds.SubscribeAsync(Feed.ForSector(Sector));
        return (feeds, subscription, subscription.LiveAfter, _hub.Journal.FeedReads);
    }

    /// <summary>The first <paramref name="count"/> cursors the subscription gives after <paramref name="after"/>.</summary>
    private static async Task<List<long>> ReadAsync(FeedSubscription subscription, long after, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var cursors = new List<long>();
        await foreach (var record in subscription.ReadAllAsync(after, timeout.Token))
        {
            cursors.Add(record.Cursor);
            if (cursors.Count == count) break;
        }

        return cursors;
    }

    /// <summary>A batch of <paramref name="count"/> positions after <paramref name="after"/>, as the sector's log publishes one.</summary>
    private static LogBatch Batch(long after, int count) => new(Sector, after, [.. Enumerable.Range(1, count).Select(i =>
    {
        var point = new GeoPoint(31.40, -110.95);
        var report = new PositionReport(after + i, DateTimeOffset.UtcNow, point, 5, 90, 3, UnitStatus.OnPatrol);
        return new JournalRecord(after + i, DateTimeOffset.UtcNow, new PositionRecorded(UnitId.Parse("US-TCA-0001"), report, Boundary.Default.Locate(point), null, null, null));
    })]);
}
