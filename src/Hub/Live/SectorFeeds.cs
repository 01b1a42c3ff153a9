using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;

namespace PatrolHub.Hub.Live;

/// <summary>
/// This hub instance's subscriptions in one sector, and how far into the sector's log it has handed records to them.
/// Batches come in from the sector's log; each record goes only to the subscriptions it is addressed to, found by key,
/// so a subscriber costs what its own feed costs. A batch that does not follow on from the last one means records went
/// missing on the way: every subscription is asked to read its own feed up to there from the journal.
/// </summary>
internal sealed class SectorFeeds
{
    private readonly Lock _lock = new();
    private readonly List<FeedSubscription> _watchers = [];
    private readonly Dictionary<UnitId, List<FeedSubscription>> _units = [];
    private List<LogBatch>? _early = [];
    private long _position;
    private long _headAtLastRenewal;
    private Task? _starting;

    public bool IsStarted => _starting?.IsCompletedSuccessfully == true;

    /// <summary>Subscribes to the sector's log once (again, if the last try failed), then hands out records after its head.</summary>
    public Task StartOnceAsync(Func<Task<long>> subscribe)
    {
        lock (_lock)
        {
            if (_starting is null || _starting.IsFaulted || _starting.IsCanceled) _starting = StartAsync(subscribe);
            return _starting;
        }
    }

    private async Task StartAsync(Func<Task<long>> subscribe) => Start(await subscribe());

    /// <summary>Starts handing out records after <paramref name="head"/>, with any batch that came before it was known.</summary>
    private void Start(long head)
    {
        lock (_lock)
        {
            _position = head;
            _headAtLastRenewal = head;
            var early = _early!;
            _early = null;
            foreach (var batch in early) Dispatch(batch);
        }
    }

    public void Add(FeedSubscription subscription)
    {
        lock (_lock)
        {
            subscription.LiveAfter = _position;
            if (subscription.Feed.Unit is { } unit)
            {
                if (!_units.TryGetValue(unit, out var list)) _units[unit] = list = [];
                list.Add(subscription);
            }
            else
            {
                _watchers.Add(subscription);
            }
        }
    }

    public void Remove(FeedSubscription subscription)
    {
        lock (_lock)
        {
            if (subscription.Feed.Unit is not { } unit) _watchers.Remove(subscription);
            else if (_units.TryGetValue(unit, out var list) && list.Remove(subscription) && list.Count == 0) _units.Remove(unit);
        }
    }

    public void Dispatch(LogBatch batch)
    {
        lock (_lock)
        {
            if (_early is not null)
            {
                _early.Add(batch);
                return;
            }

            if (batch.Last <= _position) return;
            if (batch.After > _position) CatchUpAll(batch.After);
            foreach (var record in batch.Records)
            {
                if (record.Cursor <= _position) continue;
                foreach (var watcher in _watchers) watcher.Queue.Enqueue(record);
                Deliver(record, Addressees.Of(record.Event.Keys()));
                _position = record.Cursor;
            }
        }
    }

    /// <summary>The log answered a renewal. If it had forgotten this instance, or a batch it published before the
    /// previous renewal never came, the subscriptions catch up from the journal.</summary>
    public void Renewed(LogSubscription renewal)
    {
        lock (_lock)
        {
            if (_early is not null) return;
            var missedUpTo = renewal.Known ? _headAtLastRenewal : renewal.Head;
            if (missedUpTo > _position) CatchUpAll(missedUpTo);
            _headAtLastRenewal = renewal.Head;
        }
    }

    private void Deliver(JournalRecord record, Addressees to)
    {
        if (to.EveryUnit)
        {
            foreach (var list in _units.Values) Enqueue(list, record);
            return;
        }

        if (to.ToUnit is { } target && _units.TryGetValue(target, out var targets)) Enqueue(targets, record);
        if (to.AboutUnit is { } about && about != to.ToUnit && _units.TryGetValue(about, out var abouts)) Enqueue(abouts, record);
    }

    private static void Enqueue(List<FeedSubscription> subscriptions, JournalRecord record)
    {
        foreach (var subscription in subscriptions) subscription.Queue.Enqueue(record);
    }

    private void CatchUpAll(long upTo)
    {
        foreach (var watcher in _watchers) watcher.Queue.RequestCatchUp(upTo);
        foreach (var list in _units.Values)
        {
            foreach (var subscription in list) subscription.Queue.RequestCatchUp(upTo);
        }

        _position = upTo;
    }
}
