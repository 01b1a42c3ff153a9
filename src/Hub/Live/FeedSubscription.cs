using System.Runtime.CompilerServices;
using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;
using PatrolHub.Grains.Live;
using PatrolHub.Grains.Units;

namespace PatrolHub.Hub.Live;

/// <summary>
/// A live subscription to one grain's feed, held for one gRPC stream. Grains push to it as an Orleans observer;
/// it renews itself, and delivers strictly in cursor order: when a live event arrives ahead of one not yet seen,
/// the gap is filled from the journal, so a subscriber resuming from its last cursor misses nothing.
/// </summary>
public sealed class FeedSubscription : IFeedObserver, IAsyncDisposable
{
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);

    private readonly IGrainFactory _grains;
    private readonly IJournal _journal;
    private readonly IFeedGrain _grain;
    private readonly Feed _feed;
    private readonly SubscriberBuffer _queue;
    private readonly CancellationTokenSource _stop = new();
    private IFeedObserver? _reference;
    private Task _renewing = Task.CompletedTask;

    private FeedSubscription(IGrainFactory grains, IJournal journal, IFeedGrain grain, Feed feed, int capacity)
    {
        _grains = grains;
        _journal = journal;
        _grain = grain;
        _feed = feed;
        _queue = new SubscriberBuffer(capacity);
    }

    /// <summary>Subscribes; events recorded from now on will be delivered.</summary>
    public static async Task<FeedSubscription> StartAsync(IGrainFactory grains, IJournal journal, IFeedGrain grain, Feed feed, int capacity)
    {
        var subscription = new FeedSubscription(grains, journal, grain, feed, capacity);
        subscription._reference = grains.CreateObjectReference<IFeedObserver>(subscription);
        await grain.Subscribe(subscription._reference);
        subscription._renewing = subscription.RenewAsync();
        return subscription;
    }

    public Task OnEvent(JournalRecord record)
    {
        _queue.Enqueue(record);
        return Task.CompletedTask;
    }

    /// <summary>Every feed record after <paramref name="after"/>: first from the journal, then live.</summary>
    public async IAsyncEnumerable<JournalRecord> ReadAllAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = after;
        await foreach (var record in FromJournalAsync(last, long.MaxValue, coalesce: false, next: null, cancellationToken))
        {
            yield return record;
            last = record.Cursor;
        }

        while (true)
        {
            var next = await _queue.DequeueAsync(cancellationToken);
            if (next is not null && next.Cursor <= last) continue;
            if (next?.Cursor != last + 1)
            {
                await foreach (var record in FromJournalAsync(last, next?.Cursor ?? long.MaxValue, coalesce: true, next, cancellationToken))
                {
                    yield return record;
                    last = record.Cursor;
                }
            }

            if (next is null) continue;
            yield return next;
            last = next.Cursor;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewing;
        if (_reference is not null)
        {
            try
            {
                await _grain.Unsubscribe(_reference);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // The subscription expires on its own.
            }

            _grains.DeleteObjectReference<IFeedObserver>(_reference);
        }

        _stop.Dispose();
    }

    /// <summary>The feed's records between two cursors, a page at a time. A resume gets every record; filling a gap
    /// (<paramref name="coalesce"/>) keeps only the newest position per unit in each page, and none that
    /// <paramref name="next"/> replaces.</summary>
    private async IAsyncEnumerable<JournalRecord> FromJournalAsync(
        long after, long before, bool coalesce, JournalRecord? next, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int PageSize = 1000;
        while (true)
        {
            var page = await _journal.ReadFeedAsync(_feed, after, before, PageSize, cancellationToken);
            foreach (var record in coalesce ? Coalesce(page, next) : page) yield return record;
            if (page.Count < PageSize) yield break;
            after = page[^1].Cursor;
        }
    }

    /// <summary>Missed records, keeping only the newest position per unit, and none a newer queued one replaces.</summary>
    private static IEnumerable<JournalRecord> Coalesce(IReadOnlyList<JournalRecord> missed, JournalRecord? next)
    {
        var newest = new Dictionary<UnitId, long>();
        if (next?.Event is PositionRecorded queued) newest[queued.Unit] = next.Cursor;
        foreach (var record in missed)
        {
            if (record.Event is PositionRecorded p && (!newest.TryGetValue(p.Unit, out var cursor) || cursor < record.Cursor))
                newest[p.Unit] = record.Cursor;
        }

        return missed.Where(r => r.Event is not PositionRecorded p || newest[p.Unit] == r.Cursor);
    }

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(RenewEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    // A grain that forgot us (reactivated elsewhere, or expired us) may have missed events for us.
                    if (!await _grain.Subscribe(_reference!)) _queue.RequestCatchUp();
                }
                catch (Exception e) when (e is OrleansException or TimeoutException)
                {
                    _queue.RequestCatchUp();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
