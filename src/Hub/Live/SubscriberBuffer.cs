using Grpc.Core;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Live;

/// <summary>What a subscriber's reader takes next: a record, or a request to read its feed from the journal up to a cursor.</summary>
public readonly record struct FeedItem(JournalRecord? Record, long CatchUpTo);

/// <summary>
/// One subscriber's bounded queue, in cursor order. Once it holds <paramref name="coalesceAbove"/> records, the
/// subscriber is behind and positions coalesce per unit (a newer one replaces the unit's latest queued one, taking its
/// place at the tail); below that every position is kept, so a burst (units resending what they could not send while
/// their silo failed) arrives whole. Other events are never dropped: when they do not fit, the queue faults with
/// RESOURCE_EXHAUSTED and the subscriber resumes from its cursor. Producers never wait.
/// </summary>
public sealed class SubscriberBuffer(int capacity, int coalesceAbove = SubscriberBuffer.CoalesceAbove)
{
    public const int CoalesceAbove = 64;

    private readonly LinkedList<JournalRecord> _items = new();
    private readonly Dictionary<UnitId, LinkedListNode<JournalRecord>> _positions = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _others;
    private long _catchUpTo;
    private RpcException? _fault;

    public void Enqueue(JournalRecord record)
    {
        lock (_lock)
        {
            if (_fault is not null) return;
            if (record.Event is PositionRecorded position)
            {
                if (_items.Count >= coalesceAbove && _positions.Remove(position.Unit, out var queued))
                {
                    _items.Remove(queued);
                    HubMetrics.Coalesced.Add(1);
                }

                _positions[position.Unit] = _items.AddLast(record);
            }
            else if (_others >= capacity)
            {
                HubMetrics.Overflows.Add(1);
                _fault = new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"this subscriber fell more than {capacity} events behind; resume from the last cursor received."));
            }
            else
            {
                _items.AddLast(record);
                _others++;
            }

            _signal.TrySetResult();
        }
    }

    /// <summary>Asks the reader to read its feed from the journal up to <paramref name="upTo"/> before anything queued:
    /// records up to there may never arrive live.</summary>
    public void RequestCatchUp(long upTo)
    {
        lock (_lock)
        {
            _catchUpTo = Math.Max(_catchUpTo, upTo);
            _signal.TrySetResult();
        }
    }

    /// <summary>The next item: a pending catch-up first, then records in cursor order.</summary>
    public async Task<FeedItem> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (_fault is not null) throw _fault;
                if (_catchUpTo > 0)
                {
                    var upTo = _catchUpTo;
                    _catchUpTo = 0;
                    return new FeedItem(null, upTo);
                }

                if (_items.First is { } first)
                {
                    _items.RemoveFirst();
                    if (first.Value.Event is not PositionRecorded position) _others--;
                    else if (_positions.TryGetValue(position.Unit, out var latest) && latest == first) _positions.Remove(position.Unit);
                    return new FeedItem(first.Value, 0);
                }

                if (_signal.Task.IsCompleted) _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _signal.Task;
            }

            await signal.WaitAsync(cancellationToken);
        }
    }
}
