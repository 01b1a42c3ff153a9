using System.Diagnostics;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Telemetry;

namespace PatrolHub.Hub.Live;

/// <summary>
/// This hub instance's subscriptions in one sector, and how far into the sector's log it has handed records to them.
/// Batches come in from the sector's log; each record goes only to the subscriptions it is addressed to, found by key,
/// so a subscriber costs what its own feed costs. Orleans does not promise that messages arrive in the order they were
/// sent (across silos, batches do overtake each other), so a batch that does not follow on from the last one waits, up
/// to <see cref="ReorderWait"/>, for those before it. Only a gap that lasts longer means records went missing on the
/// way: every subscription is then asked to read its own feed up to there from the journal.
/// </summary>
internal sealed class SectorFeeds
{
    /// <summary>How long a batch that arrived ahead of its predecessors waits for them.</summary>
    public static readonly TimeSpan ReorderWait = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly SortedList<long, LogBatch> _ahead = [];
    private long _aheadSince;
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
            if (batch.After > _position)
            {
                if (_ahead.Count == 0) _aheadSince = Stopwatch.GetTimestamp();
                _ahead.TryAdd(batch.After, batch);
                CheckGap();
                return;
            }

            Hand(batch);
            HandAhead();
        }
    }

    /// <summary>Past <see cref="ReorderWait"/>, a batch still waiting for those before it stops waiting: the
    /// subscriptions read what is missing from the journal, and the batches that came ahead follow.</summary>
    public void CheckGap()
    {
        lock (_lock)
        {
            if (_ahead.Count == 0 || Stopwatch.GetElapsedTime(_aheadSince) < ReorderWait) return;
            CatchUpAll(_ahead.Keys[0], "gap");
            HandAhead();
        }
    }

    private void Hand(LogBatch batch)
    {
        foreach (var record in batch.Records)
        {
            if (record.Cursor <= _position) continue;
            foreach (var watcher in _watchers) watcher.Queue.Enqueue(record);
            Deliver(record, Addressees.Of(record.Event.Keys()));
            _position = record.Cursor;
        }
    }

    /// <summary>Hands out the batches that came ahead and now follow on; a gap left among them waits afresh.</summary>
    private void HandAhead()
    {
        while (_ahead.Count > 0 && _ahead.Keys[0] <= _position)
        {
            var next = _ahead.Values[0];
            _ahead.RemoveAt(0);
            Hand(next);
        }

        _aheadSince = Stopwatch.GetTimestamp();
    }

    /// <summary>The log answered a renewal. If it had forgotten this instance, or a batch it published before the
    /// previous renewal never came, the subscriptions catch up from the journal.</summary>
    public void Renewed(LogSubscription renewal)
    {
        lock (_lock)
        {
            if (_early is not null) return;
            var missedUpTo = renewal.Known ? _headAtLastRenewal : renewal.Head;
            if (missedUpTo > _position)
            {
                CatchUpAll(missedUpTo, "renewal");
                HandAhead();
            }

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

    private void CatchUpAll(long upTo, string why)
    {
        HubMetrics.CatchUps.Add(1, new KeyValuePair<string, object?>("why", why));
        foreach (var watcher in _watchers) watcher.Queue.RequestCatchUp(upTo);
        foreach (var list in _units.Values)
        {
            foreach (var subscription in list) subscription.Queue.RequestCatchUp(upTo);
        }

        _position = upTo;
    }
}
