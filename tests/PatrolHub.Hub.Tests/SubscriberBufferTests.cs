using Grpc.Core;
using PatrolHub.Grains.Geo;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Pairs;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Live;

namespace PatrolHub.Hub.Tests;

public sealed class SubscriberBufferTests
{
    private static readonly UnitId A = UnitId.Parse("US-TCA-0001");
    private static readonly UnitId B = UnitId.Parse("US-TCA-0002");

    [Fact]
    public async Task Positions_coalesce_per_unit_and_stay_in_cursor_order()
    {
        var buffer = new SubscriberBuffer(capacity: 4, coalesceAbove: 0);
        buffer.Enqueue(Position(1, A));
        buffer.Enqueue(Position(2, B));
        buffer.Enqueue(Pair(3));
        buffer.Enqueue(Position(4, A));

        long[] order = [await NextCursorAsync(buffer), await NextCursorAsync(buffer), await NextCursorAsync(buffer)];
        Assert.Equal([2, 3, 4], order);
    }

    [Fact]
    public async Task Other_events_are_never_dropped_and_overflow_ends_the_subscriber()
    {
        var buffer = new SubscriberBuffer(capacity: 2, coalesceAbove: 0);
        for (var i = 0; i < 100; i++) buffer.Enqueue(Position(i, A));
        buffer.Enqueue(Pair(101));
        buffer.Enqueue(Pair(102));
        Assert.Equal(99, await NextCursorAsync(buffer));
        Assert.Equal(101, await NextCursorAsync(buffer));

        buffer.Enqueue(Pair(103));
        buffer.Enqueue(Pair(104));
        var error = await Assert.ThrowsAsync<RpcException>(() => buffer.DequeueAsync(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Positions_are_kept_whole_until_the_queue_holds_enough_to_coalesce()
    {
        var buffer = new SubscriberBuffer(capacity: 4, coalesceAbove: 3);
        buffer.Enqueue(Position(1, A));
        buffer.Enqueue(Position(2, A));
        buffer.Enqueue(Position(3, B));
        // Three queued: from here a unit's newer position replaces its latest queued one.
        buffer.Enqueue(Position(4, A));
        buffer.Enqueue(Position(5, A));

        Assert.Equal(1, await NextCursorAsync(buffer));
        Assert.Equal(3, await NextCursorAsync(buffer));
        Assert.Equal(5, await NextCursorAsync(buffer));
        // Below the mark again: each position is kept.
        buffer.Enqueue(Position(6, A));
        buffer.Enqueue(Position(7, A));
        Assert.Equal(6, await NextCursorAsync(buffer));
        Assert.Equal(7, await NextCursorAsync(buffer));
    }

    [Fact]
    public async Task A_waiting_reader_wakes_for_the_next_event()
    {
        var buffer = new SubscriberBuffer(capacity: 2);
        var next = buffer.DequeueAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        buffer.Enqueue(Pair(7));
        Assert.Equal(7, (await next.WaitAsync(TimeSpan.FromSeconds(5))).Record!.Cursor);
    }

    [Fact]
    public async Task A_catch_up_comes_before_anything_queued_and_reaches_the_furthest_cursor_asked()
    {
        var buffer = new SubscriberBuffer(capacity: 2);
        buffer.Enqueue(Pair(7));
        buffer.RequestCatchUp(20);
        buffer.RequestCatchUp(12);

        Assert.Equal(new FeedItem(null, 20), await buffer.DequeueAsync(CancellationToken.None));
        Assert.Equal(7, await NextCursorAsync(buffer));
    }

    private static async Task<long> NextCursorAsync(SubscriberBuffer buffer) =>
        (await buffer.DequeueAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5))).Record!.Cursor;

    private static JournalRecord Position(long cursor, UnitId unit) => new(cursor, DateTimeOffset.UtcNow, new PositionRecorded(
        unit, new PositionReport(cursor, DateTimeOffset.UtcNow, new GeoPoint(31.4, -110.9), 5, 0, 0, UnitStatus.OnPatrol),
        new BoundaryLocation(BoundarySide.US, 1000, 500), null, null, null));

    private static JournalRecord Pair(long cursor) => new(cursor, DateTimeOffset.UtcNow, new PairChanged(new PairInfo(
        PairId.Create(new SectorId("TCA"), 1), A, UnitId.Parse("MX-TCA-0001"), PairState.Proposed, "command:US:TCA", Nation.US, null, null, DateTimeOffset.UtcNow)));
}
