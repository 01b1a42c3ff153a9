using System.Threading.Channels;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Security;
using PatrolHub.Grains.Units;
using PatrolHub.Hub.Security;

namespace PatrolHub.Hub.Live;

/// <summary>One record as a subscriber is given it, and where to resume each lane after it.</summary>
public readonly record struct Given(JournalRecord Record, JournalRecord Recorded, bool Delayed, long Cursor, long DelayedCursor);

/// <summary>
/// What one subscriber is given of its feed, in two lanes. Everything comes in log order as it is recorded, through
/// <see cref="Releases"/>; except positions a nation's sharing policy delays for this subscriber, which wait in a lane
/// of their own and come once their delay has passed. Each lane has its own cursor, so resuming with both is exact: no
/// gap and no duplicate in either.
/// </summary>
public sealed class ReleasedFeed(FeedSubscription subscription, Identity viewer, Releases releases, TimeProvider time, string channel)
{
    private readonly Dictionary<Nation, long> _floors = [];
    private long _cursor;
    private long _delayedCursor;

    /// <summary>Where the delayed lane starts for a subscriber with no cursor of its own in it, starting live at
    /// <paramref name="cursor"/> at <paramref name="at"/>: each nation's positions from as far back as its delay, so
    /// the subscriber is given them from where a status of <paramref name="at"/> shows them
    /// (<see cref="Releases.StatusAsync"/>) onwards.</summary>
    public async Task<long> DelayedStartAsync(long cursor, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var (nation, released) in await releases.ReleasedUpToAsync(viewer, subscription.Feed.Log, at, cancellationToken))
            _floors[nation] = Math.Min(cursor, released);
        return _floors.Values.Append(cursor).Min();
    }

    /// <summary>Gives the subscriber, through <paramref name="deliver"/>, every record of the feed it is given: those
    /// after <paramref name="cursor"/> as they come, on this call; the delayed ones after <paramref name="delayedCursor"/>
    /// as their delays pass, from a lane started when the first of them comes, so <paramref name="deliver"/> may be
    /// called from two tasks at once. Runs until cancelled, or until the subscription fails (it overflowed).</summary>
    public async Task RunAsync(long cursor, long delayedCursor, Func<Given, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken)
    {
        (_cursor, _delayedCursor) = (cursor, delayedCursor);
        Channel<JournalRecord>? waiting = null;
        Task releasing = Task.CompletedTask;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await foreach (var record in subscription.ReadAllAsync(Math.Min(cursor, delayedCursor), stop.Token))
            {
                if (releases.DelayFor(viewer, record) > TimeSpan.Zero)
                {
                    if (record.Cursor <= Volatile.Read(ref _delayedCursor) || record.Cursor <= _floors.GetValueOrDefault(((PositionRecorded)record.Event).Unit.Nation)) continue;
                    if (waiting is null)
                    {
                        waiting = Channel.CreateUnbounded<JournalRecord>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                        releasing = ReleaseAsync(waiting.Reader, deliver, stop.Token);
                    }

                    waiting.Writer.TryWrite(record);
                }
                else if (record.Cursor > _cursor)
                {
                    if (releases.Deliver(viewer, record, channel) is { } released)
                        await deliver(new Given(released, record, false, record.Cursor, Volatile.Read(ref _delayedCursor)), stop.Token);
                    // Only once it is handed over: the other lane reports this cursor too.
                    Volatile.Write(ref _cursor, record.Cursor);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await releasing.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Gives each delayed record, in log order, once its delay (as the policy now has it) has passed.</summary>
    private async Task ReleaseAsync(ChannelReader<JournalRecord> waiting, Func<Given, CancellationToken, ValueTask> deliver, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await foreach (var record in waiting.ReadAllAsync(cancellationToken))
        {
            TimeSpan wait;
            while ((wait = record.RecordedAt + releases.DelayFor(viewer, record) - time.GetUtcNow()) > TimeSpan.Zero)
                await Task.Delay(wait, time, cancellationToken);
            if (releases.Deliver(viewer, record, channel) is { } released)
                await deliver(new Given(released, record, true, Volatile.Read(ref _cursor), record.Cursor), cancellationToken);
            Volatile.Write(ref _delayedCursor, record.Cursor);
        }
    }
}
