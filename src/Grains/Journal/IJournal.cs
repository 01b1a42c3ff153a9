using PatrolHub.Grains.Ids;

namespace PatrolHub.Grains.Journal;

/// <summary>
/// Where the sectors' logs are stored: the source of truth for every grain. Each sector has one log, with gap-free
/// cursors and its own hash chain, and exactly one writer at a time (its <see cref="Live.ISectorLogGrain"/>).
/// </summary>
/// <remarks>
/// Visibility: a record is visible to every read, on every connection and every hub instance, once the
/// <see cref="AppendAsync"/> that wrote it has completed, and never before; a batch becomes visible whole or not at all.
/// Reads never block the caller's thread (so never an Orleans scheduler).
/// </remarks>
public interface IJournal
{
    /// <summary>The last record of a sector's log (<see cref="LogHead.Empty"/> when it has none).</summary>
    Task<LogHead> ReadHeadAsync(SectorId sector, CancellationToken cancellationToken = default);

    /// <summary>Appends consecutive records to a sector's log and completes once they are durable. Fenced: throws
    /// <see cref="LogConflictException"/>, and stores nothing, unless the first record follows <paramref name="head"/>,
    /// which must be the log's last record (cursor and hash).</summary>
    Task AppendAsync(SectorId sector, LogHead head, IReadOnlyList<SealedRecord> records, CancellationToken cancellationToken = default);

    /// <summary>A feed's records with <paramref name="after"/> &lt; cursor &lt;= <paramref name="upTo"/>, in cursor order,
    /// at most <paramref name="limit"/> of them. Reads only the feed's own records.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadFeedAsync(
        Feed feed, long after, long upTo = long.MaxValue, int limit = int.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>Records of one kind matching the query's keys, in sector and cursor order.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadAsync(JournalQuery query, CancellationToken cancellationToken = default);

    /// <summary>How many distinct pairs or alerts (subjects) of one kind a sector's log has recorded; counted in the
    /// store, nothing loaded.</summary>
    Task<int> CountSubjectsAsync(SectorId sector, string kind, CancellationToken cancellationToken = default);

    /// <summary>A unit's positions with <paramref name="after"/> &lt; cursor &lt;= <paramref name="upTo"/>, in cursor order, at most
    /// <paramref name="limit"/>: its track. Reads only that unit's positions.</summary>
    Task<IReadOnlyList<JournalRecord>> ReadTrackAsync(UnitId unit, long after, long upTo, int limit, CancellationToken cancellationToken = default);

    /// <summary>The last cursor of a sector's log recorded at or before <paramref name="time"/> (0 if none was).</summary>
    Task<long> CursorAtAsync(SectorId sector, DateTimeOffset time, CancellationToken cancellationToken = default);

    /// <summary>A sector's records as stored, hash and index columns included, with cursor &gt; <paramref name="after"/>
    /// in cursor order: what verification reads.</summary>
    Task<IReadOnlyList<ChainLink>> ReadChainAsync(SectorId sector, long after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Stores a signed checkpoint of a sector's head.</summary>
    Task AddCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>A sector's checkpoints, those standing for pruned records included, in cursor order.</summary>
    Task<IReadOnlyList<Checkpoint>> ReadCheckpointsAsync(SectorId sector, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the records of a sector whose kind has a cutoff in <paramref name="cutoffs"/> and that were recorded before
    /// it, never the log's last record. Each run of consecutive pruned records (at most 10,000) is replaced, in the same
    /// transaction, by the checkpoint <paramref name="sign"/> makes for it (given the first pruned cursor and the last
    /// pruned record's head), so the chain stays verifiable. Returns how many records were pruned.
    /// </summary>
    Task<long> PruneAsync(
        SectorId sector, IReadOnlyDictionary<string, DateTimeOffset> cutoffs, Func<long, LogHead, Checkpoint> sign, CancellationToken cancellationToken = default);
}

/// <summary>A narrow lookup the grains rebuild their state from on activation.</summary>
public sealed record JournalQuery(string Kind)
{
    public SectorId? Sector { get; init; }
    public UnitId? Unit { get; init; }
    /// <summary>The pair or alert id.</summary>
    public string? Subject { get; init; }
    public long? UnitSequence { get; init; }
    /// <summary>Only the newest record per unit.</summary>
    public bool LatestPerUnit { get; init; }

    /// <summary>Only the newest record per pair or alert.</summary>
    public bool LatestPerSubject { get; init; }
    /// <summary>Only the newest, at most this many: latest in the log when the query lies in one sector (a sector or a
    /// unit is given), latest recorded otherwise.</summary>
    public int? Last { get; init; }

    /// <summary>Only records made at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only records with a cursor greater than this.</summary>
    public long? After { get; init; }

    /// <summary>Only records with a cursor up to this one.</summary>
    public long? UpTo { get; init; }
}

/// <summary>An append that did not follow the log's head: another writer got there first. The writer reloads the head.</summary>
[GenerateSerializer]
public sealed class LogConflictException(string message) : Exception(message);

/// <summary>The store could not record an append (for example, the disk or database failed). Nothing of it was acknowledged.</summary>
[GenerateSerializer]
public sealed class JournalUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
