using Grpc.Core;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Telemetry;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Live;

/// <summary>
/// One subscriber's bounded queue. Positions coalesce per unit (a newer one replaces the queued one in place);
/// other events are never dropped: when they do not fit, the queue faults with RESOURCE_EXHAUSTED and the
/// subscriber resumes from its cursor. Producers never wait.
/// </summary>
public sealed class SubscriberBuffer(int capacity)
{
    private readonly LinkedList<JournalRecord> _items = new();
    private readonly Dictionary<UnitId, LinkedListNode<JournalRecord>> _positions = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _others;
    private bool _catchUp;
    private RpcException? _fault;

    public void Enqueue(JournalRecord record)
    {
        lock (_lock)
        {
            if (_fault is not null) return;
            if (record.Event is PositionRecorded position)
            {
                if (_positions.TryGetValue(position.Unit, out var queued))
                {
                    queued.Value = record;
                    HubMetrics.Coalesced.Add(1);
                    return;
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

    /// <summary>Asks the reader to re-read the journal from its cursor, for when a subscription may have lapsed.</summary>
    public void RequestCatchUp()
    {
        lock (_lock)
        {
            _catchUp = true;
            _signal.TrySetResult();
        }
    }

    /// <summary>The next record, or null when the reader should catch up from the journal.</summary>
    public async Task<JournalRecord?> DequeueAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_lock)
            {
                if (_fault is not null) throw _fault;
                if (_catchUp)
                {
                    _catchUp = false;
                    return null;
                }

                if (_items.First is { } first)
                {
                    _items.RemoveFirst();
                    if (first.Value.Event is PositionRecorded position) _positions.Remove(position.Unit);
                    else _others--;
                    return first.Value;
                }

                if (_signal.Task.IsCompleted) _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
                signal = _signal.Task;
            }

            await signal.WaitAsync(cancellationToken);
        }
    }
}
