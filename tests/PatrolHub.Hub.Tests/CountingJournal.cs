using PatrolHub.Grains.Ids;
using PatrolHub.Grains.Journal;

namespace PatrolHub.Hub.Tests;

/// <summary>The hub's journal, counting the feed reads made through it.</summary>
public sealed class CountingJournal(IJournal inner) : IJournal
{
    private int _feedReads;

    public int FeedReads => Volatile.Read(ref _feedReads);

    public Task<LogHead> ReadHeadAsync(SectorId sector, CancellationToken cancellationToken = default) => inner.ReadHeadAsync(sector, cancellationToken);

    public Task AppendAsync(SectorId sector, LogHead head, IReadOnlyList<SealedRecord> records, CancellationToken cancellationToken = default) =>
        inner.AppendAsync(sector, head, records, cancellationToken);

    public Task<IReadOnlyList<JournalRecord>> ReadFeedAsync(Feed feed, long after, long upTo = long.MaxValue, int limit = int.MaxValue, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _feedReads);
        return inner.ReadFeedAsync(feed, after, upTo, limit, cancellationToken);
    }

    public Task<IReadOnlyList<JournalRecord>> ReadAsync(JournalQuery query, CancellationToken cancellationToken = default) => inner.ReadAsync(query, cancellationToken);

    public Task<int> CountSubjectsAsync(SectorId sector, string kind, CancellationToken cancellationToken = default) => inner.CountSubjectsAsync(sector, kind, cancellationToken);

    public Task<IReadOnlyList<JournalRecord>> ReadTrackAsync(UnitId unit, long after, long upTo, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadTrackAsync(unit, after, upTo, limit, cancellationToken);

    public Task<long> CursorAtAsync(SectorId sector, DateTimeOffset time, CancellationToken cancellationToken = default) =>
        inner.CursorAtAsync(sector, time, cancellationToken);

    public Task<IReadOnlyList<ChainLink>> ReadChainAsync(SectorId sector, long after, int limit, CancellationToken cancellationToken = default) =>
        inner.ReadChainAsync(sector, after, limit, cancellationToken);

    public Task AddCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken = default) => inner.AddCheckpointAsync(checkpoint, cancellationToken);

    public Task<IReadOnlyList<Checkpoint>> ReadCheckpointsAsync(SectorId sector, CancellationToken cancellationToken = default) =>
        inner.ReadCheckpointsAsync(sector, cancellationToken);

    public Task<long> PruneAsync(
        SectorId sector, IReadOnlyDictionary<string, DateTimeOffset> cutoffs, Func<long, LogHead, Checkpoint> sign, CancellationToken cancellationToken = default) =>
        inner.PruneAsync(sector, cutoffs, sign, cancellationToken);
}
