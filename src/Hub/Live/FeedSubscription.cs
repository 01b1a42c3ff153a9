using System.Runtime.CompilerServices;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Hub.Live;

/// <summary>
/// One gRPC stream's live subscription to a feed, registered with this hub instance's <see cref="FeedHub"/>. Every
/// record of the feed after <see cref="LiveAfter"/> reaches its queue, or a request to catch up from the journal
/// that covers it; so reading from any cursor gives every record after it, in order, once.
/// </summary>
public sealed class FeedSubscription : IDisposable
{
    private const int PageSize = 1000;
    private readonly IJournal _journal;
    private readonly Action<FeedSubscription> _unregister;

    internal FeedSubscription(IJournal journal, Feed feed, int capacity, Action<FeedSubscription> unregister)
    {
        _journal = journal;
        _unregister = unregister;
        Feed = feed;
        Queue = new SubscriberBuffer(capacity);
    }

    public Feed Feed { get; }

    /// <summary>The sector cursor after which records arrive live; set when the subscription is registered.</summary>
    public long LiveAfter { get; internal set; }

    internal SubscriberBuffer Queue { get; }

    /// <summary>Every feed record after <paramref name="after"/>: first from the journal up to <see cref="LiveAfter"/>, then live.</summary>
    public async IAsyncEnumerable<JournalRecord> ReadAllAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = after;
        await foreach (var record in FromJournalAsync(last, LiveAfter, cancellationToken))
        {
            yield return record;
            last = record.Cursor;
        }

        last = Math.Max(last, LiveAfter);
        while (true)
        {
            var item = await Queue.DequeueAsync(cancellationToken);
            if (item.Record is not { } record)
            {
                await foreach (var missed in FromJournalAsync(last, item.CatchUpTo, cancellationToken))
                {
                    yield return missed;
                    last = missed.Cursor;
                }

                last = Math.Max(last, item.CatchUpTo);
            }
            else if (record.Cursor > last)
            {
                yield return record;
                last = record.Cursor;
            }
        }
    }

    public void Dispose() => _unregister(this);

    /// <summary>The feed's records in (after, upTo], a page at a time.</summary>
    private async IAsyncEnumerable<JournalRecord> FromJournalAsync(long after, long upTo, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (after < upTo)
        {
            var page = await _journal.ReadFeedAsync(Feed, after, upTo, PageSize, cancellationToken);
            foreach (var record in page) yield return record;
            if (page.Count < PageSize) yield break;
            after = page[^1].Cursor;
        }
    }
}
